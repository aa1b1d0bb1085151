/* Process-shared condition variables used by two processes (pshared.h:
 * the other one native, preloaded or forked; this one native or
 * preloaded), in glibc's layout and protocol (waiter sequence, groups,
 * the pshared and clock bits in __wrefs):
 *
 * - ping-pong: the sides take 200 turns, each waiting in
 *   pthread_cond_timedwait for its turn and signalling the other; first
 *   each side's wait times out once (nobody signals it), which leaves a
 *   cancelled waiter in the condvar's groups; also with a CLOCK_MONOTONIC
 *   condvar (its deadlines mean nothing on CLOCK_REALTIME) and with a
 *   robust mutex;
 * - broadcast: 3 threads of one side wait, the other side broadcasts once
 *   all 3 are waiting (counted under the mutex), both ways;
 * - cancellation: a thread of this side waiting (errorcheck mutex) is
 *   cancelled: its cleanup handler runs with the mutex held, and the
 *   condvar works on for the ping-pong that follows. */
#include <pthread.h>
#include <stdatomic.h>

struct shm {
    _Atomic int step;
    pthread_mutex_t m;
    pthread_cond_t c;
    clockid_t clock;
    int turn;    /* under m: whose turn it is */
    int waiting; /* under m */
    int go;      /* under m: broadcast round */
    int woken;   /* under m */
    _Atomic int cancel_done;
    int cleaned;
};

#include "pshared.h"

#define TURNS 200
#define WAITERS 3

static void init(struct shm *s, clockid_t clock, bool robust, int type)
{
    pthread_mutexattr_t ma;
    CHECK_EQ(pthread_mutexattr_init(&ma), 0);
    CHECK_EQ(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_mutexattr_settype(&ma, type), 0);
    if (robust)
        CHECK_EQ(pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST), 0);
    CHECK_EQ(pthread_mutex_init(&s->m, &ma), 0);
    pthread_condattr_t ca;
    CHECK_EQ(pthread_condattr_init(&ca), 0);
    CHECK_EQ(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_condattr_setclock(&ca, clock), 0);
    CHECK_EQ(pthread_cond_init(&s->c, &ca), 0);
    s->clock = clock;
}

static void lock(struct shm *s)
{
    CHECK_ERR(pthread_mutex_lock(&s->m), 0);
}

static void unlock(struct shm *s)
{
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
}

/* One wait of at most a minute; a timeout is a lost wake-up. */
static void cond_wait(struct shm *s)
{
    struct timespec limit = deadline_in(s->clock, WAIT_MS);
    CHECK_ERR(pthread_cond_timedwait(&s->c, &s->m, &limit), 0);
}

static void turns(struct shm *s, int me)
{
    lock(s);
    struct timespec soon = deadline_in(s->clock, 10);
    CHECK_ERR(pthread_cond_timedwait(&s->c, &s->m, &soon), ETIMEDOUT);
    CHECK(deadline_passed(s->clock, &soon), "timed out before the deadline");
    unlock(s);
    set_step(&s->step, me + 1);
    await_step(&s->step, 2); /* both waits timed out */
    for (int i = 0; i < TURNS; i++) {
        lock(s);
        while (s->turn != me)
            cond_wait(s);
        s->turn = !me;
        CHECK_ERR(pthread_cond_signal(&s->c), 0);
        unlock(s);
    }
}

static bool turns_parent(struct shm *s, pid_t other)
{
    (void)other;
    await_step(&s->step, 1); /* the other side times out first */
    turns(s, 1);
    return false;
}

static void turns_other(struct shm *s)
{
    turns(s, 0);
}

static void *waiter(void *arg)
{
    struct shm *s = arg;
    lock(s);
    int round = s->go;
    s->waiting++;
    while (s->go == round)
        cond_wait(s);
    s->woken++;
    unlock(s);
    return NULL;
}

static void waiters_wait(struct shm *s)
{
    pthread_t t[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, waiter, s), 0);
    join_all(t, WAITERS);
    CHECK_EQ(locked_read(&s->m, &s->woken), WAITERS);
}

static void broadcast_to_waiters(struct shm *s)
{
    WAIT_UNTIL(locked_read(&s->m, &s->waiting) == WAITERS);
    lock(s);
    s->waiting = 0;
    s->go++;
    CHECK_ERR(pthread_cond_broadcast(&s->c), 0);
    unlock(s);
    WAIT_UNTIL(locked_read(&s->m, &s->woken) == WAITERS);
}

static bool broadcast_parent(struct shm *s, pid_t other)
{
    (void)other;
    broadcast_to_waiters(s); /* the other side's threads wait */
    await_step(&s->step, 1);
    lock(s);
    s->woken = 0;
    unlock(s);
    set_step(&s->step, 2);
    waiters_wait(s); /* then this side's */
    return false;
}

static void broadcast_other(struct shm *s)
{
    waiters_wait(s);
    set_step(&s->step, 1);
    await_step(&s->step, 2);
    broadcast_to_waiters(s);
}

static void unlock_on_cancel(void *arg)
{
    struct shm *s = arg;
    s->cleaned = 1;
    unlock(s); /* errorcheck: EPERM unless it holds the mutex again */
}

static void *cancelled_waiter(void *arg)
{
    struct shm *s = arg;
    lock(s);
    s->waiting = 1;
    pthread_cleanup_push(unlock_on_cancel, s);
    for (;;)
        CHECK_ERR(pthread_cond_wait(&s->c, &s->m), 0);
    pthread_cleanup_pop(0);
    return NULL;
}

static bool cancel_parent(struct shm *s, pid_t other)
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, cancelled_waiter, s), 0);
    WAIT_UNTIL(locked_read(&s->m, &s->waiting) == 1);
    CHECK_EQ(pthread_cancel(t), 0);
    void *result;
    CHECK_EQ(pthread_join(t, &result), 0);
    CHECK(result == PTHREAD_CANCELED && s->cleaned, "the waiter was not cancelled");
    atomic_store(&s->cancel_done, 1);
    return turns_parent(s, other);
}

static void cancel_other(struct shm *s)
{
    WAIT_UNTIL(atomic_load(&s->cancel_done));
    turns_other(s);
}

static void realtime(struct shm *s)
{
    init(s, CLOCK_REALTIME, false, PTHREAD_MUTEX_NORMAL);
}
static void monotonic(struct shm *s)
{
    init(s, CLOCK_MONOTONIC, false, PTHREAD_MUTEX_NORMAL);
}
static void robust(struct shm *s)
{
    init(s, CLOCK_REALTIME, true, PTHREAD_MUTEX_NORMAL);
}
static void errorcheck(struct shm *s)
{
    init(s, CLOCK_REALTIME, false, PTHREAD_MUTEX_ERRORCHECK);
}

static const struct scenario scenarios[] = {
    {"condvar ping-pong", realtime, turns_parent, turns_other},
    {"condvar ping-pong, CLOCK_MONOTONIC", monotonic, turns_parent, turns_other},
    {"condvar ping-pong, robust mutex", robust, turns_parent, turns_other},
    {"condvar broadcast", realtime, broadcast_parent, broadcast_other},
    {"condvar wait cancelled", errorcheck, cancel_parent, cancel_other},
};

int main(int argc, char **argv)
{
    return pshared_main(argc, argv, scenarios, sizeof scenarios / sizeof *scenarios);
}
