/* pthread_cond_*: condition variables in glibc's 48-byte pthread_cond_t.
 *
 * A private condvar keeps no queue of its own: a waiter queues on the
 * condvar's address in the wait queues *before* it releases the mutex, so
 * a signal sent by anyone who then takes the mutex finds it (FIFO, and
 * never a waiter that arrived after the signal). `waiters` counts the
 * threads between queueing and leaving cond_wait; signal and broadcast skip
 * the wait queues when it is 0, and destroy waits for it to drain (as
 * glibc's destroy waits for woken waiters), so a woken waiter never touches
 * freed memory.
 * Layout of a private one: waiters, (unused), flags (clock), destroying;
 * all zero is PTHREAD_COND_INITIALIZER: CLOCK_REALTIME, private. The word
 * at glibc's __wrefs (offset 36) stays 0: its bit 0 set by
 * pthread_cond_init (glibc's or mnrt's) makes a process-shared condvar,
 * served with glibc's layout and protocol by cond_shared.c. */
#include "shim/pthread_impl.h"

#include "core/signals.h"

#include <limits.h>
#include <string.h>

#define FLAG_MONOTONIC 1u

struct mn_cond {
    _Atomic uint32_t waiters;
    uint32_t unused;
    uint32_t flags;
    _Atomic uint32_t destroying;
};

_Static_assert(sizeof(struct mn_cond) <= sizeof(pthread_cond_t), "cond layout");

static inline struct mn_cond *C(pthread_cond_t *c)
{
    return (struct mn_cond *)c;
}

static void leave(struct mn_cond *cv)
{
    if (atomic_fetch_sub(&cv->waiters, 1) == 1 && atomic_load(&cv->destroying))
        mn_ufutex_wake(&cv->waiters, INT_MAX);
}

static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline)
{
    mn_cancel_point();
    if (mn_cond_is_shared(c))
        return mn_cond_shared_wait(c, m, deadline);
    struct mn_cond *cv = C(c);
    struct mn_waiter w;
    mn_waiter_init(&w, "cond wait");
    atomic_fetch_add(&cv->waiters, 1);
    mn_waitq_enqueue(&w, cv, NULL, NULL);
    int err = mn_mutex_unlock(m);
    if (err) {
        if (!w.cancel(&w)) /* a signal took us already: pass it on */
            mn_waitq_wake(cv, 1);
        leave(cv);
        return err;
    }
    w.intr = true; /* a handler that runs on it: a spurious wake-up */
    w.cancel_point = true;
    int r = mn_waiter_block(&w, deadline);
    leave(cv);
    mn_mutex_lock(m, -1, false);
    if (r == EINTR) { /* its handler ran as it woke, before the mutex */
        mn_sig_should_fail(false);
        r = 0;
    }
    return r;
}

static int timed_wait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                      const struct timespec *abstime)
{
    int64_t deadline;
    int err = mn_abs_deadline(clock, abstime, &deadline);
    if (err)
        return err;
    return cond_wait(c, m, deadline);
}

MN_EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
    memset(c, 0, sizeof *c);
    if (attr) {
        clockid_t clock;
        int pshared;
        if (pthread_condattr_getclock(attr, &clock) != 0 ||
            pthread_condattr_getpshared(attr, &pshared) != 0)
            return EINVAL;
        if (pshared == PTHREAD_PROCESS_SHARED)
            mn_cond_shared_init(c, clock == CLOCK_MONOTONIC);
        else
            C(c)->flags = clock == CLOCK_MONOTONIC ? FLAG_MONOTONIC : 0;
    }
    return 0;
}

MN_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
    if (mn_cond_is_shared(c))
        return mn_cond_shared_destroy(c);
    struct mn_cond *cv = C(c);
    atomic_store(&cv->destroying, 1);
    for (;;) {
        uint32_t n = atomic_load(&cv->waiters);
        if (n == 0)
            return 0;
        mn_ufutex_wait(&cv->waiters, n, -1, "cond destroy");
    }
}

MN_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    return cond_wait(c, m, -1);
}

MN_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                     const struct timespec *abstime)
{
    bool monotonic = mn_cond_is_shared(c) ? mn_cond_shared_monotonic(c)
                                          : (C(c)->flags & FLAG_MONOTONIC) != 0;
    clockid_t clock = monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    return timed_wait(c, m, clock, abstime);
}

MN_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clock,
                                     const struct timespec *abstime)
{
    return timed_wait(c, m, clock, abstime);
}

static int wake(pthread_cond_t *c, int n)
{
    if (mn_cond_is_shared(c))
        return n == 1 ? mn_cond_shared_signal(c) : mn_cond_shared_broadcast(c);
    struct mn_cond *cv = C(c);
    if (atomic_load(&cv->waiters) != 0)
        mn_waitq_wake(cv, n);
    mn_check_preempt_at_release();
    return 0;
}

MN_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
    return wake(c, 1);
}

MN_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
    return wake(c, INT_MAX);
}
