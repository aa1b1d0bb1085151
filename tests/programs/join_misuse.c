/* Joining and detaching the wrong way, as glibc answers it (2.36; where
 * 2.41 and 2.31 answer otherwise, said below):
 * - a second pthread_join of a joined thread, and pthread_detach or a timed
 *   join after the join, are ESRCH; pthread_tryjoin_np is EBUSY (glibc
 *   marks a joined thread's tid -1 and tryjoin answers EBUSY for any
 *   nonzero tid). Asked right after the join, before any thread is
 *   created: later the handle may name a new thread, natively too.
 *   Neither call may hand the finished thread's resources back twice: the
 *   next two threads are distinct, each with a stack of its own.
 * - joining yourself: EDEADLK (EINVAL once detached); tryjoin of yourself
 *   or of a running detached thread: EBUSY (tryjoin looks first whether
 *   the thread finished); a timed join of yourself with a bad tv_nsec:
 *   EDEADLK (checked before the time; 2.41: EINVAL, the time first).
 * - timed/clock joins: an unsupported clock is EINVAL even with a NULL
 *   time; tv_sec < 0 is ETIMEDOUT while the thread runs (before tv_nsec
 *   is looked at) and joins a finished one; a tv_nsec out of range is no
 *   error: glibc joins a finished thread and waits for a running one until
 *   it finishes (it spins on the futex call that refuses the time). 2.41
 *   says EINVAL to a bad tv_nsec once the thread is found joinable; 2.31
 *   checks a time only while the thread runs and a clock only with a
 *   time, which this program does not look at there (README, Differences).
 * mnrt implements join/detach itself (core/g.c). */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define STACK_BYTES (64 * 1024)

static pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;
static atomic_int started;

static void *quick(void *arg)
{
    return arg;
}

#if __GLIBC_PREREQ(2, 34)
static void *later(void *arg)
{
    usleep(20 * 1000); /* the join starts before or after: same answer */
    return arg;
}
#endif

/* runs until main unlocks `hold` */
static void *held(void *arg)
{
    atomic_fetch_add(&started, 1);
    pthread_mutex_lock(&hold);
    pthread_mutex_unlock(&hold);
    return arg;
}

static void joined_handle(const char *how)
{
    pthread_t t;
    void *r = NULL;
    CHECK_ERR(pthread_create(&t, NULL, quick, (void *)7), 0);
    CHECK_ERR(pthread_join(t, &r), 0);
    CHECK_EQ((intptr_t)r, 7);
    struct timespec past = {0, 0};
    int err;
    if (!strcmp(how, "join"))
        err = pthread_join(t, NULL);
    else if (!strcmp(how, "detach"))
        err = pthread_detach(t);
    else if (!strcmp(how, "tryjoin"))
        err = pthread_tryjoin_np(t, NULL);
    else
        err = pthread_timedjoin_np(t, NULL, &past);
    printf("%s of a joined thread: %s\n", how, errname(err));
}

/* Two threads alive at once, each filling and then checking a buffer on
 * its own stack while the other has filled its own. */
static pthread_barrier_t both;

static void *own_stack(void *arg)
{
    unsigned char buf[STACK_BYTES];
    unsigned char v = (unsigned char)(intptr_t)arg;
    memset(buf, v, sizeof buf);
    pthread_barrier_wait(&both);
    pthread_barrier_wait(&both);
    for (size_t i = 0; i < sizeof buf; i++)
        if (buf[i] != v)
            return (void *)0;
    return (void *)1;
}

static void next_two_threads(void)
{
    pthread_t a, b;
    void *ra, *rb;
    CHECK_ERR(pthread_barrier_init(&both, NULL, 3), 0);
    CHECK_ERR(pthread_create(&a, NULL, own_stack, (void *)0x5a), 0);
    CHECK_ERR(pthread_create(&b, NULL, own_stack, (void *)0xa5), 0);
    CHECK(!pthread_equal(a, b), "two live threads have one handle");
    pthread_barrier_wait(&both);
    pthread_barrier_wait(&both);
    CHECK_ERR(pthread_join(a, &ra), 0);
    CHECK_ERR(pthread_join(b, &rb), 0);
    CHECK(ra && rb, "a thread's stack was overwritten");
    CHECK_ERR(pthread_barrier_destroy(&both), 0);
    printf("the next two threads: distinct, each on its own stack\n");
}

static void *self_detached(void *arg)
{
    (void)arg;
    CHECK_ERR(pthread_detach(pthread_self()), 0);
    printf("detached thread: join self %s, tryjoin self %s\n",
           errname(pthread_join(pthread_self(), NULL)),
           errname(pthread_tryjoin_np(pthread_self(), NULL)));
    atomic_fetch_add(&started, 1);
    return NULL;
}

static void *self_joinable(void *arg)
{
    (void)arg;
    struct timespec bad = {0, 2000000000L};
    int j = pthread_join(pthread_self(), NULL);
    int tj = pthread_tryjoin_np(pthread_self(), NULL);
    int tm = pthread_timedjoin_np(pthread_self(), NULL, &bad);
    printf("thread: join self %s, tryjoin self %s, timedjoin self (bad tv_nsec) %s\n",
           errname(j), errname(tj), errname(tm));
    return NULL;
}

static void joining_yourself(void)
{
    printf("main: join self %s, tryjoin self %s\n", errname(pthread_join(pthread_self(), NULL)),
           errname(pthread_tryjoin_np(pthread_self(), NULL)));
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, self_joinable, NULL), 0);
    CHECK_ERR(pthread_join(t, NULL), 0);
    atomic_store(&started, 0);
    CHECK_ERR(pthread_create(&t, NULL, self_detached, NULL), 0);
    WAIT_UNTIL(atomic_load(&started) == 1);
}

static void running_detached(void)
{
    struct timespec bad = {0, 2000000000L};
    pthread_t t;
    atomic_store(&started, 0);
    pthread_mutex_lock(&hold);
    CHECK_ERR(pthread_create(&t, NULL, held, NULL), 0);
    WAIT_UNTIL(atomic_load(&started) == 1);
    CHECK_ERR(pthread_detach(t), 0);
    int d = pthread_detach(t);
    int j = pthread_join(t, NULL);
    int tj = pthread_tryjoin_np(t, NULL);
    int tm = pthread_timedjoin_np(t, NULL, &bad);
    printf("running detached thread: detach %s, join %s, tryjoin %s, timedjoin (bad tv_nsec) %s\n",
           errname(d), errname(j), errname(tj), errname(tm));
    pthread_mutex_unlock(&hold);
}

static void bad_times_running(void)
{
    struct timespec neg = {-1, 0}, neg_bad = {-1, 2000000000L}, zero = {0, 0};
    pthread_t t;
    void *r = NULL;
    atomic_store(&started, 0);
    pthread_mutex_lock(&hold);
    CHECK_ERR(pthread_create(&t, NULL, held, (void *)3), 0);
    int a = pthread_timedjoin_np(t, NULL, &neg);
    int b = pthread_timedjoin_np(t, NULL, &neg_bad);
    int c = pthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &neg_bad);
    int d = pthread_clockjoin_np(t, NULL, CLOCK_PROCESS_CPUTIME_ID, &zero);
#if __GLIBC_PREREQ(2, 34)
    int e = pthread_clockjoin_np(t, NULL, CLOCK_BOOTTIME, NULL);
#else
    /* glibc checks the clock only with a time before 2.34: it would wait
     * for the thread, which waits for this one (mnrt says EINVAL) */
    int e = EINVAL;
#endif
    printf("running thread: tv_sec -1 %s, tv_sec -1 with bad tv_nsec %s (clock %s), "
           "CPU-time clock %s, CLOCK_BOOTTIME without a time %s\n",
           errname(a), errname(b), errname(c), errname(d), errname(e));
    pthread_mutex_unlock(&hold);
    CHECK_ERR(pthread_join(t, &r), 0);
    CHECK_EQ((intptr_t)r, 3);
}

#if __GLIBC_PREREQ(2, 34)
/* tv_nsec out of range: the thread is joined whenever it finishes (before
 * glibc 2.41), or EINVAL at once (since) */
static void bad_nsec(void *(*fn)(void *), const char *what)
{
    struct timespec big = {0, 1000000000L}, neg = {0, -1};
    pthread_t t;
    void *r = NULL;
    CHECK_ERR(pthread_create(&t, NULL, fn, (void *)11), 0);
    int a = pthread_timedjoin_np(t, &r, &big);
    printf("%s, timedjoin with tv_nsec 1e9: %s, value %ld\n", what, errname(a), (long)(intptr_t)r);
    if (a)
        CHECK_ERR(pthread_join(t, NULL), 0);
    r = NULL;
    CHECK_ERR(pthread_create(&t, NULL, fn, (void *)12), 0);
    int b = pthread_clockjoin_np(t, &r, CLOCK_MONOTONIC, &neg);
    printf("%s, clockjoin with tv_nsec -1: %s, value %ld\n", what, errname(b), (long)(intptr_t)r);
    if (b)
        CHECK_ERR(pthread_join(t, NULL), 0);
}

/* the thread has finished: tv_sec < 0 joins, an unsupported clock does not */
static void finished_thread_times(void)
{
    struct timespec neg = {-1, 0};
    pthread_t t;
    void *r = NULL;
    CHECK_ERR(pthread_create(&t, NULL, quick, (void *)13), 0);
    int a = pthread_clockjoin_np(t, &r, CLOCK_PROCESS_CPUTIME_ID, NULL);
    int b;
    while ((b = pthread_timedjoin_np(t, &r, &neg)) == ETIMEDOUT)
        usleep(1000); /* until it has finished */
    printf("finished thread: CPU-time clock %s, then tv_sec -1 %s, value %ld\n", errname(a),
           errname(b), (long)(intptr_t)r);
}
#endif

int main(void)
{
    joined_handle("join");
    next_two_threads();
    joined_handle("detach");
    next_two_threads();
    joined_handle("tryjoin");
    joined_handle("timedjoin");
    next_two_threads();
    joining_yourself();
    running_detached();
    bad_times_running();
#if __GLIBC_PREREQ(2, 34)
    /* before 2.34 glibc checks a join's time only while the thread runs,
     * and its clock only with a time; mnrt answers as 2.34+ does there
     * (README, Differences) */
    bad_nsec(quick, "quick thread");
    bad_nsec(later, "thread that finishes later");
    finished_thread_times();
#endif
    return 0;
}
