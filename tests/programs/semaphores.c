/* POSIX semaphores: sem_init limits (EINVAL above SEM_VALUE_MAX), sem_post
 * overflow (EOVERFLOW), sem_trywait EAGAIN, sem_getvalue, timed waits on
 * both clocks returning ETIMEDOUT no earlier than the deadline, EINVAL for
 * a bad tv_nsec or clock (glibc checks the time even when the semaphore
 * is available), a post waking a blocked waiter, and a bounded
 * producer/consumer queue whose counts and sums must come out exact, with
 * a process-private, a process-shared (kernel futex) and a named
 * semaphore. All of these report errors through errno; mnrt keeps glibc's
 * sem_t layout (docs/design.md §7) so shared semaphores still work across
 * processes. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <time.h>

#define SHORT_MS 30
#define LONG_MS 60000
#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS 20000 /* per producer */
#define SLOTS 16

static void error_codes(void)
{
    sem_t s;
    CHECK_ERRNO(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1), EINVAL);
    CHECK_ERRNO(sem_init(&s, 0, SEM_VALUE_MAX), 0);
    CHECK_ERRNO(sem_post(&s), EOVERFLOW);
    int v = -1;
    CHECK_ERRNO(sem_getvalue(&s, &v), 0);
    CHECK_EQ(v, SEM_VALUE_MAX);
    CHECK_ERRNO(sem_destroy(&s), 0);

    CHECK_ERRNO(sem_init(&s, 0, 0), 0);
    CHECK_ERRNO(sem_trywait(&s), EAGAIN);
    CHECK_ERRNO(sem_getvalue(&s, &v), 0);
    CHECK_EQ(v, 0);

    /* timeouts */
    struct timespec dl = deadline_in(CLOCK_REALTIME, SHORT_MS);
    CHECK_ERRNO(sem_timedwait(&s, &dl), ETIMEDOUT);
    CHECK(deadline_passed(CLOCK_REALTIME, &dl), "sem_timedwait returned early");
    dl = deadline_in(CLOCK_MONOTONIC, SHORT_MS);
    CHECK_ERRNO(sem_clockwait(&s, CLOCK_MONOTONIC, &dl), ETIMEDOUT);
    CHECK(deadline_passed(CLOCK_MONOTONIC, &dl), "sem_clockwait(MONOTONIC) returned early");
    dl = deadline_in(CLOCK_REALTIME, SHORT_MS);
    CHECK_ERRNO(sem_clockwait(&s, CLOCK_REALTIME, &dl), ETIMEDOUT);
    CHECK(deadline_passed(CLOCK_REALTIME, &dl), "sem_clockwait(REALTIME) returned early");

    /* bad times and clocks, when it would have to wait... */
    struct timespec bad = deadline_in(CLOCK_REALTIME, LONG_MS);
    bad.tv_nsec = 1000000000;
    CHECK_ERRNO(sem_timedwait(&s, &bad), EINVAL);
    bad.tv_nsec = -1;
    CHECK_ERRNO(sem_clockwait(&s, CLOCK_MONOTONIC, &bad), EINVAL);
    dl = deadline_in(CLOCK_MONOTONIC, LONG_MS);
    CHECK_ERRNO(sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &dl), EINVAL);
    /* ...and when it would not (glibc checks first) */
    CHECK_ERRNO(sem_post(&s), 0);
    CHECK_ERRNO(sem_timedwait(&s, &bad), EINVAL);
    CHECK_ERRNO(sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &dl), EINVAL);
    CHECK_ERRNO(sem_getvalue(&s, &v), 0);
    CHECK_EQ(v, 1);

    /* available: every kind of wait takes it at once */
    CHECK_ERRNO(sem_post(&s), 0);
    CHECK_ERRNO(sem_post(&s), 0);
    CHECK_ERRNO(sem_trywait(&s), 0);
    dl = deadline_in(CLOCK_REALTIME, SHORT_MS);
    CHECK_ERRNO(sem_timedwait(&s, &dl), 0);
    dl = deadline_in(CLOCK_MONOTONIC, SHORT_MS);
    CHECK_ERRNO(sem_clockwait(&s, CLOCK_MONOTONIC, &dl), 0);
    CHECK_ERRNO(sem_getvalue(&s, &v), 0);
    CHECK_EQ(v, 0);
    CHECK_ERRNO(sem_destroy(&s), 0);
    printf("error codes: EINVAL, EOVERFLOW, EAGAIN, ETIMEDOUT as glibc gives them\n");
}

/* --- a post wakes a blocked waiter --- */

static sem_t wake_sem;
static atomic_int wake_state;

static void *blocked_waiter(void *arg)
{
    (void)arg;
    atomic_store(&wake_state, 1);
    CHECK_ERRNO(sem_wait(&wake_sem), 0);
    atomic_store(&wake_state, 2);
    return NULL;
}

static void post_wakes_waiter(void)
{
    CHECK_ERRNO(sem_init(&wake_sem, 0, 0), 0);
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, blocked_waiter, NULL), 0);
    WAIT_UNTIL(atomic_load(&wake_state) == 1);
    usleep(10 * 1000); /* most likely blocked by now; correct either way */
    int v = -1;
    CHECK_ERRNO(sem_getvalue(&wake_sem, &v), 0);
    CHECK_EQ(v, 0); /* glibc never reports waiters as a negative value */
    CHECK_EQ(atomic_load(&wake_state), 1);
    CHECK_ERRNO(sem_post(&wake_sem), 0);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK_EQ(atomic_load(&wake_state), 2);
    CHECK_ERRNO(sem_destroy(&wake_sem), 0);
    printf("a post wakes a blocked waiter\n");
}

/* --- bounded producer/consumer --- */

static sem_t *empty_slots, *full_slots;
static pthread_mutex_t ring_mu = PTHREAD_MUTEX_INITIALIZER;
static long ring[SLOTS];
static int head, tail;
static atomic_long consumed_sum, consumed_count;

static void take(sem_t *s, int how)
{
    struct timespec dl;
    switch (how % 4) {
    case 0: CHECK_ERRNO(sem_wait(s), 0); break;
    case 1:
        dl = deadline_in(CLOCK_REALTIME, LONG_MS);
        CHECK_ERRNO(sem_timedwait(s, &dl), 0);
        break;
    case 2:
        dl = deadline_in(CLOCK_MONOTONIC, LONG_MS);
        CHECK_ERRNO(sem_clockwait(s, CLOCK_MONOTONIC, &dl), 0);
        break;
    case 3:
        while (sem_trywait(s) != 0) {
            CHECK_EQ(errno, EAGAIN);
            sched_yield();
        }
        break;
    }
}

static void *producer(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (long i = 0; i < ITEMS; i++) {
        take(empty_slots, (int)(i + id));
        pthread_mutex_lock(&ring_mu);
        ring[head] = id * ITEMS + i;
        head = (head + 1) % SLOTS;
        pthread_mutex_unlock(&ring_mu);
        CHECK_ERRNO(sem_post(full_slots), 0);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long id = (long)(intptr_t)arg;
    long n = (long)PRODUCERS * ITEMS / CONSUMERS;
    for (long i = 0; i < n; i++) {
        take(full_slots, (int)(i + id));
        pthread_mutex_lock(&ring_mu);
        long v = ring[tail];
        tail = (tail + 1) % SLOTS;
        pthread_mutex_unlock(&ring_mu);
        CHECK_ERRNO(sem_post(empty_slots), 0);
        atomic_fetch_add(&consumed_sum, v);
        atomic_fetch_add(&consumed_count, 1);
    }
    return NULL;
}

static void *pc_thread(void *arg)
{
    long i = (long)(intptr_t)arg;
    return i < PRODUCERS ? producer(arg) : consumer((void *)(intptr_t)(i - PRODUCERS));
}

static void producer_consumer(const char *name, sem_t *empty, sem_t *full)
{
    empty_slots = empty;
    full_slots = full;
    head = tail = 0;
    atomic_store(&consumed_sum, 0);
    atomic_store(&consumed_count, 0);
    pthread_t t[PRODUCERS + CONSUMERS];
    spawn(t, PRODUCERS + CONSUMERS, pc_thread);
    join_all(t, PRODUCERS + CONSUMERS);
    long total = (long)PRODUCERS * ITEMS;
    CHECK_EQ(atomic_load(&consumed_count), total);
    CHECK_EQ(atomic_load(&consumed_sum), total * (total - 1) / 2);
    int v;
    CHECK_ERRNO(sem_getvalue(empty, &v), 0);
    CHECK_EQ(v, SLOTS);
    CHECK_ERRNO(sem_getvalue(full, &v), 0);
    CHECK_EQ(v, 0);
    printf("%s: %d producers x %d items through %d slots: count=%ld sum=%ld\n", name,
           PRODUCERS, ITEMS, SLOTS, atomic_load(&consumed_count), atomic_load(&consumed_sum));
}

int main(void)
{
    error_codes();
    post_wakes_waiter();

    sem_t empty, full;
    for (int pshared = 0; pshared < 2; pshared++) {
        CHECK_ERRNO(sem_init(&empty, pshared, SLOTS), 0);
        CHECK_ERRNO(sem_init(&full, pshared, 0), 0);
        producer_consumer(pshared ? "process-shared" : "process-private", &empty, &full);
        CHECK_ERRNO(sem_destroy(&empty), 0);
        CHECK_ERRNO(sem_destroy(&full), 0);
    }

    char name_e[64], name_f[64];
    snprintf(name_e, sizeof name_e, "/mnrt-test-empty-%d", (int)getpid());
    snprintf(name_f, sizeof name_f, "/mnrt-test-full-%d", (int)getpid());
    sem_t *ne = sem_open(name_e, O_CREAT | O_EXCL, 0600, SLOTS);
    sem_t *nf = sem_open(name_f, O_CREAT | O_EXCL, 0600, 0);
    CHECK(ne != SEM_FAILED && nf != SEM_FAILED, "sem_open: %s", strerror(errno));
    sem_unlink(name_e);
    sem_unlink(name_f);
    producer_consumer("named", ne, nf);
    CHECK_ERRNO(sem_close(ne), 0);
    CHECK_ERRNO(sem_close(nf), 0);
    return 0;
}
