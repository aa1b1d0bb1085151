/* Readers-writer locks: readers share (all of them hold it at once),
 * writers are exclusive and the counts stay right under contention with
 * every lock variant; trylocks give EBUSY; a writer that locks again gets
 * EDEADLK (rdlock and wrlock, timed or not; the try variants say EBUSY, as
 * glibc's do); timed variants on either clock give ETIMEDOUT no earlier
 * than the deadline; a bad tv_nsec or clock is EINVAL (glibc checks it even
 * when the lock is free); and the writer-preferring kind
 * (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, by attribute or static
 * initializer) holds new readers back while a writer waits, lets them in
 * when that writer times out, while the default kind lets readers in. mnrt
 * reimplements all of this inside glibc's pthread_rwlock_t (docs/design.md §7);
 * caches and databases depend on both the exclusion and the preference. */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#define READERS 8
#define WRITERS 4
#define ROUNDS 5000
#define SHORT_MS 30
#define LONG_MS 60000

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

/* --- calls from another thread (check.h in_thread) --- */

static int try_rd(void *l)
{
    int err = pthread_rwlock_tryrdlock(l);
    if (err == 0)
        pthread_rwlock_unlock(l);
    return err;
}

static int try_wr(void *l)
{
    int err = pthread_rwlock_trywrlock(l);
    if (err == 0)
        pthread_rwlock_unlock(l);
    return err;
}

/* kind: 0 timedrdlock, 1 clockrdlock, 2 timedwrlock, 3 clockwrlock */
static int timed_lock(pthread_rwlock_t *l, int kind, clockid_t clock,
                      const struct timespec *dl)
{
    switch (kind) {
    case 0: return pthread_rwlock_timedrdlock(l, dl);
    case 1: return pthread_rwlock_clockrdlock(l, clock, dl);
    case 2: return pthread_rwlock_timedwrlock(l, dl);
    default: return pthread_rwlock_clockwrlock(l, clock, dl);
    }
}

static int timed_out(pthread_rwlock_t *l, int kind, clockid_t clock)
{
    if (kind == 0 || kind == 2)
        clock = CLOCK_REALTIME;
    struct timespec dl = deadline_in(clock, SHORT_MS);
    int err = timed_lock(l, kind, clock, &dl);
    if (err == ETIMEDOUT)
        CHECK(deadline_passed(clock, &dl), "ETIMEDOUT before the deadline");
    if (err == 0)
        pthread_rwlock_unlock(l);
    return err;
}

static int timed_rd_rt(void *l) { return timed_out(l, 0, CLOCK_REALTIME); }
static int clock_rd_mono(void *l) { return timed_out(l, 1, CLOCK_MONOTONIC); }
static int clock_rd_rt(void *l) { return timed_out(l, 1, CLOCK_REALTIME); }
static int timed_wr_rt(void *l) { return timed_out(l, 2, CLOCK_REALTIME); }
static int clock_wr_mono(void *l) { return timed_out(l, 3, CLOCK_MONOTONIC); }
static int clock_wr_rt(void *l) { return timed_out(l, 3, CLOCK_REALTIME); }

/* All four timed calls with a bad tv_nsec, then (clock variants) with a
 * bad clock: returns the common result, -1 if they differ. */
static int bad_timeouts(void *l)
{
    int first = -2;
    for (int kind = 0; kind < 4; kind++) {
        struct timespec dl = deadline_in(CLOCK_REALTIME, LONG_MS);
        dl.tv_nsec = kind % 2 ? -1 : 1000000000;
        int e1 = timed_lock(l, kind, CLOCK_MONOTONIC, &dl);
        if (e1 == 0)
            pthread_rwlock_unlock(l);
        int e2 = e1;
        if (kind % 2) {
            dl = deadline_in(CLOCK_MONOTONIC, LONG_MS);
            e2 = timed_lock(l, kind, CLOCK_PROCESS_CPUTIME_ID, &dl);
            if (e2 == 0)
                pthread_rwlock_unlock(l);
        }
        if (first == -2)
            first = e1;
        if (e1 != first || e2 != first) {
            fprintf(stderr, "timed lock kind %d: %s with a bad tv_nsec, %s with a bad clock, "
                    "%s before\n", kind, errname(e1), errname(e2), errname(first));
            return -1;
        }
    }
    return first;
}

/* --- error codes --- */

static void error_codes(void)
{
    /* free */
    CHECK_ERR(bad_timeouts(&rw), EINVAL);

    /* read-locked by this thread */
    CHECK_ERR(pthread_rwlock_rdlock(&rw), 0);
    CHECK_ERR(in_thread(try_rd, &rw), 0);
    CHECK_ERR(in_thread(try_wr, &rw), EBUSY);
    CHECK_ERR(in_thread(timed_rd_rt, &rw), 0);
    CHECK_ERR(in_thread(clock_rd_mono, &rw), 0);
    CHECK_ERR(in_thread(timed_wr_rt, &rw), ETIMEDOUT);
    CHECK_ERR(in_thread(clock_wr_mono, &rw), ETIMEDOUT);
    CHECK_ERR(in_thread(clock_wr_rt, &rw), ETIMEDOUT);
    CHECK_ERR(pthread_rwlock_tryrdlock(&rw), 0); /* readers nest */
    CHECK_ERR(pthread_rwlock_unlock(&rw), 0);
    CHECK_ERR(pthread_rwlock_unlock(&rw), 0);
    printf("read-locked: other readers share it, writers get EBUSY/ETIMEDOUT\n");

    /* write-locked by this thread */
    CHECK_ERR(pthread_rwlock_wrlock(&rw), 0);
    CHECK_ERR(in_thread(try_rd, &rw), EBUSY);
    CHECK_ERR(in_thread(try_wr, &rw), EBUSY);
    CHECK_ERR(in_thread(timed_rd_rt, &rw), ETIMEDOUT);
    CHECK_ERR(in_thread(clock_rd_mono, &rw), ETIMEDOUT);
    CHECK_ERR(in_thread(clock_rd_rt, &rw), ETIMEDOUT);
    CHECK_ERR(in_thread(timed_wr_rt, &rw), ETIMEDOUT);
    CHECK_ERR(in_thread(clock_wr_mono, &rw), ETIMEDOUT);
    CHECK_ERR(in_thread(bad_timeouts, &rw), EINVAL);
    CHECK_ERR(pthread_rwlock_wrlock(&rw), EDEADLK);
    CHECK_ERR(pthread_rwlock_rdlock(&rw), EDEADLK);
    CHECK_ERR(timed_out(&rw, 0, CLOCK_REALTIME), EDEADLK);
    CHECK_ERR(timed_out(&rw, 1, CLOCK_MONOTONIC), EDEADLK);
    CHECK_ERR(timed_out(&rw, 2, CLOCK_REALTIME), EDEADLK);
    CHECK_ERR(timed_out(&rw, 3, CLOCK_MONOTONIC), EDEADLK);
    /* glibc's try variants do not look for the owner */
    CHECK_ERR(pthread_rwlock_trywrlock(&rw), EBUSY);
    CHECK_ERR(pthread_rwlock_tryrdlock(&rw), EBUSY);
    CHECK_ERR(pthread_rwlock_unlock(&rw), 0);
    CHECK_ERR(in_thread(try_wr, &rw), 0);
    printf("write-locked: EBUSY/ETIMEDOUT for others, EDEADLK for the writer\n");
    printf("bad tv_nsec or clock: EINVAL, free or not\n");
}

/* --- readers share --- */

static pthread_barrier_t all_in;

static void *sharing_reader(void *arg)
{
    int i = (int)(intptr_t)arg;
    struct timespec dl = deadline_in(CLOCK_MONOTONIC, LONG_MS);
    switch (i % 3) {
    case 0: CHECK_ERR(pthread_rwlock_rdlock(&rw), 0); break;
    case 1: CHECK_ERR(pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &dl), 0); break;
    case 2:
        while (pthread_rwlock_tryrdlock(&rw) == EBUSY)
            sched_yield();
        break;
    }
    /* completes only if all READERS hold the read lock at the same time */
    pthread_barrier_wait(&all_in);
    CHECK_ERR(pthread_rwlock_unlock(&rw), 0);
    return NULL;
}

static void readers_share(void)
{
    pthread_t t[READERS];
    CHECK_ERR(pthread_barrier_init(&all_in, NULL, READERS), 0);
    spawn(t, READERS, sharing_reader);
    join_all(t, READERS);
    CHECK_ERR(pthread_barrier_destroy(&all_in), 0);
    printf("%d readers held the lock at once\n", READERS);
}

/* --- contention --- */

static long value_a, value_b;
static atomic_int writers_inside, readers_inside;
static atomic_long reads;

static void lock_variant(pthread_rwlock_t *l, int writer, int r)
{
    struct timespec dl;
    switch (r % 4) {
    case 0:
        CHECK_ERR(writer ? pthread_rwlock_wrlock(l) : pthread_rwlock_rdlock(l), 0);
        break;
    case 1:
        while ((writer ? pthread_rwlock_trywrlock(l) : pthread_rwlock_tryrdlock(l)) == EBUSY)
            sched_yield();
        break;
    case 2:
        dl = deadline_in(CLOCK_REALTIME, LONG_MS);
        CHECK_ERR(timed_lock(l, writer ? 2 : 0, CLOCK_REALTIME, &dl), 0);
        break;
    case 3:
        dl = deadline_in(CLOCK_MONOTONIC, LONG_MS);
        CHECK_ERR(timed_lock(l, writer ? 3 : 1, CLOCK_MONOTONIC, &dl), 0);
        break;
    }
}

static pthread_rwlock_t *contended;

static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        lock_variant(contended, 1, r + id);
        CHECK_EQ(atomic_fetch_add(&writers_inside, 1), 0);
        CHECK_EQ(atomic_load(&readers_inside), 0);
        value_a++;
        if (r % 16 == 0)
            sched_yield();
        value_b++;
        atomic_fetch_sub(&writers_inside, 1);
        CHECK_ERR(pthread_rwlock_unlock(contended), 0);
    }
    return NULL;
}

static void *reader(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        lock_variant(contended, 0, r + id);
        atomic_fetch_add(&readers_inside, 1);
        CHECK_EQ(atomic_load(&writers_inside), 0);
        long a = value_a;
        if (r % 16 == 0)
            sched_yield();
        CHECK(a == value_a && a == value_b, "torn read: %ld %ld %ld", a, value_a, value_b);
        atomic_fetch_sub(&readers_inside, 1);
        atomic_fetch_add(&reads, 1);
        CHECK_ERR(pthread_rwlock_unlock(contended), 0);
    }
    return NULL;
}

static void *contender(void *arg)
{
    int i = (int)(intptr_t)arg;
    return i < WRITERS ? writer(arg) : reader(arg);
}

static void contention(const char *name, pthread_rwlock_t *l)
{
    pthread_t t[WRITERS + READERS];
    contended = l;
    value_a = value_b = 0;
    atomic_store(&reads, 0);
    spawn(t, WRITERS + READERS, contender);
    join_all(t, WRITERS + READERS);
    CHECK_EQ(value_a, (long)WRITERS * ROUNDS);
    CHECK_EQ(value_b, (long)WRITERS * ROUNDS);
    CHECK_EQ(atomic_load(&reads), (long)READERS * ROUNDS);
    printf("%s: %d writers x %d and %d readers x %d: a=%ld b=%ld reads=%ld\n", name,
           WRITERS, ROUNDS, READERS, ROUNDS, value_a, value_b, atomic_load(&reads));
}

/* --- preference --- */

static atomic_int writer_state; /* 1 waiting, 2 holds it, 3 released */
static atomic_int reader_state; /* 1 waiting, 2 got it */
static pthread_mutex_t release_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t release_cv = PTHREAD_COND_INITIALIZER;
static int release_writer;

static void *waiting_writer(void *arg)
{
    pthread_rwlock_t *l = arg;
    atomic_store(&writer_state, 1);
    CHECK_ERR(pthread_rwlock_wrlock(l), 0);
    atomic_store(&writer_state, 2);
    pthread_mutex_lock(&release_mu);
    while (!release_writer)
        pthread_cond_wait(&release_cv, &release_mu);
    pthread_mutex_unlock(&release_mu);
    atomic_store(&writer_state, 3);
    CHECK_ERR(pthread_rwlock_unlock(l), 0);
    return NULL;
}

static void *timing_out_writer(void *arg)
{
    pthread_rwlock_t *l = arg;
    atomic_store(&writer_state, 1);
    struct timespec dl = deadline_in(CLOCK_MONOTONIC, 5 * SHORT_MS);
    CHECK_ERR(pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, &dl), ETIMEDOUT);
    atomic_store(&writer_state, 3);
    return NULL;
}

static void *late_reader(void *arg)
{
    pthread_rwlock_t *l = arg;
    atomic_store(&reader_state, 1);
    CHECK_ERR(pthread_rwlock_rdlock(l), 0);
    atomic_store(&reader_state, 2);
    int ws = atomic_load(&writer_state);
    CHECK_ERR(pthread_rwlock_unlock(l), 0);
    return (void *)(intptr_t)ws;
}

static void writers_preferred(const char *name, pthread_rwlock_t *l)
{
    /* a waiting writer holds new readers back */
    atomic_store(&writer_state, 0);
    release_writer = 0;
    CHECK_ERR(pthread_rwlock_rdlock(l), 0);
    pthread_t w, r;
    CHECK_ERR(pthread_create(&w, NULL, waiting_writer, l), 0);
    /* readers get EBUSY once the writer waits */
    WAIT_UNTIL(in_thread(try_rd, l) == EBUSY);
    CHECK_EQ(atomic_load(&writer_state), 1);
    CHECK_ERR(in_thread(clock_rd_mono, l), ETIMEDOUT);
    CHECK_ERR(in_thread(timed_rd_rt, l), ETIMEDOUT);
    atomic_store(&reader_state, 0);
    CHECK_ERR(pthread_create(&r, NULL, late_reader, l), 0);
    WAIT_UNTIL(atomic_load(&reader_state) == 1);
    CHECK_ERR(pthread_rwlock_unlock(l), 0); /* the writer goes first */
    WAIT_UNTIL(atomic_load(&writer_state) == 2);
    pthread_mutex_lock(&release_mu);
    release_writer = 1;
    pthread_cond_signal(&release_cv);
    pthread_mutex_unlock(&release_mu);
    void *seen;
    CHECK_ERR(pthread_join(r, &seen), 0);
    CHECK_EQ((intptr_t)seen, 3); /* the reader got in after the writer released it */
    CHECK_ERR(pthread_join(w, NULL), 0);

    /* a writer that times out lets the readers it held back in */
    atomic_store(&writer_state, 0);
    CHECK_ERR(pthread_rwlock_rdlock(l), 0);
    CHECK_ERR(pthread_create(&w, NULL, timing_out_writer, l), 0);
    WAIT_UNTIL(in_thread(try_rd, l) == EBUSY || atomic_load(&writer_state) == 3);
    atomic_store(&reader_state, 0);
    CHECK_ERR(pthread_create(&r, NULL, late_reader, l), 0);
    CHECK_ERR(pthread_join(w, NULL), 0);
    /* the reader gets in while we still hold a read lock: no writer can */
    CHECK_ERR(pthread_join(r, NULL), 0);
    CHECK_ERR(pthread_rwlock_unlock(l), 0);
    printf("%s: a waiting writer holds new readers back; when it times out they get in\n",
           name);
}

static void readers_preferred(void)
{
    atomic_store(&writer_state, 0);
    release_writer = 0;
    CHECK_ERR(pthread_rwlock_rdlock(&rw), 0);
    pthread_t w;
    CHECK_ERR(pthread_create(&w, NULL, waiting_writer, &rw), 0);
    WAIT_UNTIL(atomic_load(&writer_state) == 1);
    usleep(20 * 1000); /* let it wait; readers must get in whether it does or not */
    CHECK_ERR(in_thread(try_rd, &rw), 0);
    CHECK_ERR(in_thread(clock_rd_mono, &rw), 0);
    CHECK_EQ(atomic_load(&writer_state), 1);
    CHECK_ERR(pthread_rwlock_unlock(&rw), 0);
    WAIT_UNTIL(atomic_load(&writer_state) == 2);
    pthread_mutex_lock(&release_mu);
    release_writer = 1;
    pthread_cond_signal(&release_cv);
    pthread_mutex_unlock(&release_mu);
    CHECK_ERR(pthread_join(w, NULL), 0);
    printf("default kind: new readers get in while a writer waits\n");
}

int main(void)
{
    error_codes();
    readers_share();
    contention("default kind", &rw);
    readers_preferred();

    pthread_rwlock_t pw;
    pthread_rwlockattr_t attr;
    CHECK_ERR(pthread_rwlockattr_init(&attr), 0);
    CHECK_ERR(pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP),
              0);
    CHECK_ERR(pthread_rwlock_init(&pw, &attr), 0);
    CHECK_ERR(pthread_rwlockattr_destroy(&attr), 0);
    writers_preferred("prefer-writer kind (attribute)", &pw);
    contention("prefer-writer kind (attribute)", &pw);
    CHECK_ERR(pthread_rwlock_destroy(&pw), 0);

    static pthread_rwlock_t spw = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
    writers_preferred("prefer-writer kind (static initializer)", &spw);
    CHECK_ERR(pthread_rwlock_destroy(&rw), 0);
    return 0;
}
