/* Address-keyed wait queues (core/waitq.c) with foreign waiters (plain
 * kernel threads): FIFO wake order, EAGAIN when the word changed, timeouts,
 * and the accounting that makes mutexes safe: every wake-up that
 * mn_waitq_wake reports reached a waiter that then returned 0, even when
 * wake-ups race with deadlines. */
#include "core/futex.h"
#include "core/waitq.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#define WAITERS 16

static _Atomic uint32_t word;
static int order[WAITERS], norder;
static _Atomic int woke_in_order[WAITERS];
static _Atomic int queued;

struct arrival {
    int id;
};

static bool note_arrival(void *arg)
{
    struct arrival *a = arg;
    order[norder++] = a->id; /* under the bucket lock */
    atomic_fetch_add(&queued, 1);
    return true;
}

static _Atomic int wake_seq;

static void *fifo_waiter(void *arg)
{
    struct arrival a = {(int)(intptr_t)arg};
    cr_assert_eq(mn_waitq_wait(&word, note_arrival, &a, -1, "test"), 0);
    woke_in_order[a.id] = atomic_fetch_add(&wake_seq, 1);
    return NULL;
}

Test(waitq, fifo_wake_order)
{
    pthread_t t[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        pthread_create(&t[i], NULL, fifo_waiter, (void *)(intptr_t)i);
    while (atomic_load(&queued) < WAITERS)
        usleep(1000);
    for (int i = 0; i < WAITERS; i++) {
        cr_assert_eq(mn_waitq_wake(&word, 1), 1);
        while (atomic_load(&wake_seq) <= i)
            usleep(100);
    }
    for (int i = 0; i < WAITERS; i++)
        pthread_join(t[i], NULL);
    for (int k = 0; k < WAITERS; k++)
        cr_assert_eq(woke_in_order[order[k]], k, "arrival %d woke as %d", k,
                     woke_in_order[order[k]]);
    cr_assert_eq(mn_waitq_wake(&word, INT_MAX), 0, "queue is empty");
}

Test(waitq, changed_word_and_timeout)
{
    _Atomic uint32_t w = 5;
    cr_assert_eq(mn_ufutex_wait(&w, 4, -1, "test"), EAGAIN);
    int64_t t0 = mn_nanotime();
    cr_assert_eq(mn_ufutex_wait(&w, 5, t0 + 20 * 1000 * 1000, "test"), ETIMEDOUT);
    cr_assert_geq(mn_nanotime() - t0, 20 * 1000 * 1000, "returned before the deadline");
    cr_assert(!mn_waitq_has_waiters(&w), "a timed-out waiter left the queue");
}

#define RACERS 8
#define ROUNDS 300

static _Atomic uint32_t race_word;
static _Atomic int returned_zero;
static _Atomic int racers_done;

static void *racer(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        int64_t deadline = mn_nanotime() + (r % 7) * 20000;
        int e = mn_ufutex_wait(&race_word, 0, deadline, "race");
        cr_assert(e == 0 || e == ETIMEDOUT, "unexpected %d", e);
        if (e == 0)
            atomic_fetch_add(&returned_zero, 1);
    }
    atomic_fetch_add(&racers_done, 1);
    return NULL;
}

Test(waitq, wakes_racing_deadlines_are_counted_exactly)
{
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++)
        pthread_create(&t[i], NULL, racer, NULL);
    long reported = 0;
    while (atomic_load(&racers_done) < RACERS)
        reported += mn_waitq_wake(&race_word, 1 + (int)(reported % 3));
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(reported, atomic_load(&returned_zero),
                 "wake-ups reported %ld, waiters woken %d", reported,
                 atomic_load(&returned_zero));
}

static _Atomic uint32_t from_word, to_word;
static _Atomic int requeued_woken;

static void *requeue_waiter(void *arg)
{
    (void)arg;
    cr_assert_eq(mn_ufutex_wait(&from_word, 0, -1, "requeue"), 0);
    atomic_fetch_add(&requeued_woken, 1);
    return NULL;
}

Test(waitq, requeue_moves_waiters)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, requeue_waiter, NULL);
    while (!mn_waitq_has_waiters(&from_word))
        usleep(1000);
    usleep(20000); /* let all four queue */
    cr_assert_eq(mn_waitq_requeue(&from_word, &to_word, 1), 1);
    cr_assert(!mn_waitq_has_waiters(&from_word));
    cr_assert(mn_waitq_has_waiters(&to_word));
    cr_assert_eq(mn_waitq_wake(&to_word, INT_MAX), 3);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(atomic_load(&requeued_woken), 4);
}

/* Locks (waitq.h): the "a waiter is awake already" mark, with plain
 * kernel threads as waiters. The word is put back to 2
 * before each release, as a real lock's would be while it has waiters. */
static _Atomic uint32_t lock_word = 2;
static _Atomic int lock_woken, lock_queued;

static bool count_queued(void *arg)
{
    (void)arg;
    atomic_fetch_add(&lock_queued, 1);
    return atomic_load(&lock_word) == 2;
}

static void *plain_waiter(void *arg)
{
    int64_t deadline = (int64_t)(intptr_t)arg;
    if (mn_waitq_wait((const void *)&lock_word, count_queued, NULL, deadline, "test") == 0)
        atomic_fetch_add(&lock_woken, 1);
    return NULL;
}

/* Starts n waiters one at a time, each queued before the next starts, so
 * that the queue's order is known. */
static void start_waiters(pthread_t *t, int n, int64_t deadline)
{
    int before = atomic_load(&lock_queued);
    atomic_store(&lock_word, 2); /* held, with waiters */
    for (int i = 0; i < n; i++) {
        pthread_create(&t[i], NULL, plain_waiter, (void *)(intptr_t)deadline);
        while (atomic_load(&lock_queued) < before + i + 1)
            usleep(500);
    }
}

/* Returns how many it woke or handed the lock to. */
static int release(void)
{
    atomic_store(&lock_word, 2);
    return mn_lock_release_contended(&lock_word);
}

Test(waitq, woken_mark)
{
    pthread_t t[3];
    start_waiters(t, 3, -1);
    cr_assert_eq(release(), 1); /* wakes t[0], marks the queue */
    pthread_join(t[0], NULL);
    cr_assert_eq(atomic_load(&lock_word), 0, "released");
    cr_assert_eq(release(), 0, "marked: nobody more woken");
    cr_assert_eq(release(), 0);
    mn_lock_unmark(&lock_word);
    cr_assert_eq(release(), 1);
    pthread_join(t[1], NULL);
    mn_lock_unmark(&lock_word);
    cr_assert_eq(release(), 1);
    pthread_join(t[2], NULL);
    cr_assert_eq(atomic_load(&lock_woken), 3);
}

Test(waitq, woken_mark_outlives_a_timed_out_head)
{
    pthread_t a, timed, c;
    start_waiters(&a, 1, -1);
    start_waiters(&timed, 1, mn_nanotime() + 50 * 1000 * 1000);
    start_waiters(&c, 1, -1);
    cr_assert_eq(release(), 1); /* wakes a, marks timed */
    pthread_join(a, NULL);
    pthread_join(timed, NULL); /* left by its deadline: c is first now */
    cr_assert_eq(release(), 0, "c carries the mark");
    mn_lock_unmark(&lock_word);
    cr_assert_eq(release(), 1);
    pthread_join(c, NULL);
    cr_assert_eq(atomic_load(&lock_woken), 2);
}

Test(waitq, woken_mark_forgotten_by_an_emptied_queue)
{
    pthread_t a, b;
    start_waiters(&a, 1, -1);
    cr_assert_eq(release(), 1); /* nobody left to mark */
    pthread_join(a, NULL);
    start_waiters(&b, 1, -1);
    cr_assert_eq(release(), 1, "a new queue starts unmarked");
    pthread_join(b, NULL);
    cr_assert_eq(atomic_load(&lock_woken), 2, "a new queue starts unmarked");
}
