/* Every mutex type (normal, recursive, errorcheck, adaptive), initialised
 * both by glibc's static initializers and by pthread_mutex_init: the
 * error codes a program gets from glibc (EBUSY, EDEADLK, EPERM, ETIMEDOUT,
 * EINVAL) and mutual exclusion under contention. mnrt keeps its mutexes in
 * the program's own pthread_mutex_t and must read the kind where glibc's
 * static initializers put it (docs/design.md §7); programs rely on these codes
 * (errorcheck mutexes exist to report misuse), so they must not change. */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#define THREADS 8
#define ROUNDS 20000
#define DEPTH 100
#define SHORT_MS 30

struct kind {
    const char *name;
    int type;
    pthread_mutex_t initialized;   /* by the static initializer */
};

static struct kind kinds[] = {
    {"normal", PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_INITIALIZER},
    {"recursive", PTHREAD_MUTEX_RECURSIVE, PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP},
    {"errorcheck", PTHREAD_MUTEX_ERRORCHECK, PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP},
    {"adaptive", PTHREAD_MUTEX_ADAPTIVE_NP, PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP},
};

static int owner_checked(int type)
{
    return type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK;
}

/* --- calls made from another thread than the owner (check.h in_thread) --- */

static int other_trylock(void *m)
{
    int err = pthread_mutex_trylock(m);
    if (err == 0)
        pthread_mutex_unlock(m);
    return err;
}

static int other_unlock(void *m)
{
    return pthread_mutex_unlock(m);
}

/* A timed lock that must time out: checks it did not return early. */
static int timed_out_on(pthread_mutex_t *m, clockid_t clock, int use_clocklock)
{
    struct timespec dl = deadline_in(clock, SHORT_MS);
    int err = use_clocklock ? pthread_mutex_clocklock(m, clock, &dl)
                            : pthread_mutex_timedlock(m, &dl);
    if (err == ETIMEDOUT)
        CHECK(deadline_passed(clock, &dl), "timed lock returned ETIMEDOUT before its deadline");
    if (err == 0)
        pthread_mutex_unlock(m);
    return err;
}

static int other_timedlock(void *m)
{
    return timed_out_on(m, CLOCK_REALTIME, 0);
}

static int other_clocklock_mono(void *m)
{
    return timed_out_on(m, CLOCK_MONOTONIC, 1);
}

static int other_clocklock_rt(void *m)
{
    return timed_out_on(m, CLOCK_REALTIME, 1);
}

static int other_timedlock_bad_nsec(void *m)
{
    struct timespec dl = deadline_in(CLOCK_REALTIME, 1000);
    dl.tv_nsec = 1000000000;
    int e1 = pthread_mutex_timedlock(m, &dl);
    dl.tv_nsec = -1;
    int e2 = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &dl);
    return e1 == e2 ? e1 : -1;
}

static int other_clocklock_bad_clock(void *m)
{
    struct timespec dl = deadline_in(CLOCK_MONOTONIC, 1000);
    return pthread_mutex_clocklock(m, CLOCK_PROCESS_CPUTIME_ID, &dl);
}

/* --- the error codes of one mutex --- */

static void error_codes(const char *name, int type, pthread_mutex_t *m)
{
    /* free: trylock and timed locks succeed; a bad tv_nsec is not looked
     * at when nothing has to wait (glibc) */
    CHECK_ERR(pthread_mutex_trylock(m), 0);
    CHECK_ERR(pthread_mutex_unlock(m), 0);
    struct timespec bad = {0, 1000000000};
    CHECK_ERR(pthread_mutex_timedlock(m, &bad), 0);
    CHECK_ERR(pthread_mutex_unlock(m), 0);
    /* ...but a clock that cannot be waited on always is (glibc) */
    struct timespec dl = deadline_in(CLOCK_MONOTONIC, 1000);
    CHECK_ERR(pthread_mutex_clocklock(m, CLOCK_PROCESS_CPUTIME_ID, &dl), EINVAL);

    /* owned by this thread */
    CHECK_ERR(pthread_mutex_lock(m), 0);
    CHECK_ERR(in_thread(other_trylock, m), EBUSY);
    CHECK_ERR(in_thread(other_timedlock, m), ETIMEDOUT);
    CHECK_ERR(in_thread(other_clocklock_mono, m), ETIMEDOUT);
    CHECK_ERR(in_thread(other_clocklock_rt, m), ETIMEDOUT);
    CHECK_ERR(in_thread(other_timedlock_bad_nsec, m), EINVAL);
    CHECK_ERR(in_thread(other_clocklock_bad_clock, m), EINVAL);
    if (owner_checked(type)) /* (for the other types it is undefined) */
        CHECK_ERR(in_thread(other_unlock, m), EPERM);
    switch (type) {
    case PTHREAD_MUTEX_RECURSIVE:
        CHECK_ERR(pthread_mutex_trylock(m), 0);
        CHECK_ERR(pthread_mutex_lock(m), 0);
        CHECK_ERR(timed_out_on(m, CLOCK_REALTIME, 0), 0);
        CHECK_ERR(timed_out_on(m, CLOCK_MONOTONIC, 1), 0);
        CHECK_ERR(pthread_mutex_unlock(m), 0);
        CHECK_ERR(pthread_mutex_unlock(m), 0);
        break;
    case PTHREAD_MUTEX_ERRORCHECK:
        CHECK_ERR(pthread_mutex_lock(m), EDEADLK);
        CHECK_ERR(pthread_mutex_trylock(m), EBUSY); /* glibc: trylock never says EDEADLK */
        CHECK_ERR(timed_out_on(m, CLOCK_REALTIME, 0), EDEADLK);
        CHECK_ERR(timed_out_on(m, CLOCK_MONOTONIC, 1), EDEADLK);
        break;
    default: /* normal, adaptive: relocking would deadlock; a timed relock times out */
        CHECK_ERR(pthread_mutex_trylock(m), EBUSY);
        CHECK_ERR(timed_out_on(m, CLOCK_REALTIME, 0), ETIMEDOUT);
        CHECK_ERR(timed_out_on(m, CLOCK_MONOTONIC, 1), ETIMEDOUT);
        break;
    }
    CHECK_ERR(pthread_mutex_destroy(m), EBUSY);
    CHECK_ERR(pthread_mutex_unlock(m), 0);
    if (owner_checked(type))
        CHECK_ERR(pthread_mutex_unlock(m), EPERM); /* not locked any more */

    if (type == PTHREAD_MUTEX_RECURSIVE) {
        for (int i = 0; i < DEPTH; i++)
            CHECK_ERR(pthread_mutex_lock(m), 0);
        for (int i = 1; i < DEPTH; i++) {
            CHECK_ERR(pthread_mutex_unlock(m), 0);
            if (i % 33 == 0)
                CHECK_ERR(in_thread(other_trylock, m), EBUSY);
        }
        CHECK_ERR(in_thread(other_trylock, m), EBUSY);
        CHECK_ERR(pthread_mutex_unlock(m), 0);
        CHECK_ERR(in_thread(other_trylock, m), 0);
        CHECK_ERR(pthread_mutex_unlock(m), EPERM);
    }
    CHECK_ERR(pthread_mutex_destroy(m), 0);
    printf("%s: error codes as glibc documents them\n", name);
}

/* --- contention: THREADS x ROUNDS increments, each under the mutex --- */

static pthread_mutex_t *contended;
static int contended_type;
static long counter;

static void *incrementer(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        switch ((r + id) % 4) {
        case 0:
            CHECK_ERR(pthread_mutex_lock(contended), 0);
            break;
        case 1:
            while (pthread_mutex_trylock(contended) == EBUSY)
                sched_yield();
            break;
        case 2: {
            struct timespec dl = deadline_in(CLOCK_REALTIME, 60000);
            CHECK_ERR(pthread_mutex_timedlock(contended, &dl), 0);
            break;
        }
        case 3: {
            struct timespec dl = deadline_in(CLOCK_MONOTONIC, 60000);
            CHECK_ERR(pthread_mutex_clocklock(contended, CLOCK_MONOTONIC, &dl), 0);
            break;
        }
        }
        if (contended_type == PTHREAD_MUTEX_RECURSIVE)
            CHECK_ERR(pthread_mutex_lock(contended), 0);
        long v = counter;
        if (r % 64 == 0)
            sched_yield(); /* let others find it locked */
        counter = v + 1;
        if (contended_type == PTHREAD_MUTEX_RECURSIVE)
            CHECK_ERR(pthread_mutex_unlock(contended), 0);
        CHECK_ERR(pthread_mutex_unlock(contended), 0);
    }
    return NULL;
}

static void contention(const char *name, int type, pthread_mutex_t *m)
{
    contended = m;
    contended_type = type;
    counter = 0;
    pthread_t t[THREADS];
    spawn(t, THREADS, incrementer);
    join_all(t, THREADS);
    CHECK_EQ(counter, (long)THREADS * ROUNDS);
    printf("%s: %d threads x %d increments = %ld\n", name, THREADS, ROUNDS, counter);
}

int main(void)
{
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        struct kind *kd = &kinds[k];
        char name[64];
        snprintf(name, sizeof name, "%s (static initializer)", kd->name);
        contention(name, kd->type, &kd->initialized);
        error_codes(name, kd->type, &kd->initialized);

        snprintf(name, sizeof name, "%s (pthread_mutex_init)", kd->name);
        pthread_mutex_t m;
        pthread_mutexattr_t attr;
        CHECK_ERR(pthread_mutexattr_init(&attr), 0);
        CHECK_ERR(pthread_mutexattr_settype(&attr, kd->type), 0);
        CHECK_ERR(pthread_mutex_init(&m, &attr), 0);
        CHECK_ERR(pthread_mutexattr_destroy(&attr), 0);
        contention(name, kd->type, &m);
        error_codes(name, kd->type, &m);
    }
    /* a NULL attribute gives the default (normal) type */
    pthread_mutex_t m;
    CHECK_ERR(pthread_mutex_init(&m, NULL), 0);
    error_codes("default (NULL attr)", PTHREAD_MUTEX_NORMAL, &m);
    return 0;
}
