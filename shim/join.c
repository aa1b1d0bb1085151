/* pthread_join, its try/timed/clock variants and pthread_detach. A handle
 * that is not a G (a foreign thread's) goes to glibc; a G's TCB that is
 * being made ready for a new G is a stale handle and never goes there.
 *
 * Times, as glibc treats them (nptl/pthread_clockjoin.c,
 * pthread_join_common.c, futex-internal.c): an unsupported clock is EINVAL
 * before anything else, even without a time. Then glibc 2.41+ checks the
 * time once the thread is found joinable (a tv_nsec out of range is
 * EINVAL, before a self-join's EDEADLK and for a finished thread too);
 * before, the time matters only when the thread has not finished (a
 * finished one is joined whatever it says): tv_sec < 0 is ETIMEDOUT at
 * once, and a tv_nsec out of range is no error: glibc retries the futex
 * wait that refuses it until the thread finishes, so here the join waits
 * without a deadline. Which the running glibc does is probed the first
 * time a join comes with a tv_nsec out of range, not at boot (20-30 us of
 * every program's start): a self-join with an invalid time is EINVAL or
 * EDEADLK (time_checked_first). */
#include "shim/pthread_impl.h"

/* Whether the running glibc checks the time first (2.41+'s order). Any
 * thread may ask: glibc's self-join answers without waiting. */
static bool time_checked_first(void)
{
    static _Atomic int first = -1; /* not asked yet */
    int f = atomic_load_explicit(&first, memory_order_relaxed);
    if (f < 0) {
        struct timespec bad = {0, 1000000000L};
        f = mn_real.pthread_timedjoin_np(pthread_self(), NULL, &bad) == EINVAL;
        atomic_store_explicit(&first, f, memory_order_relaxed);
    }
    return f;
}

static mn_g *g_of(pthread_t t)
{
    return mn_native() ? NULL : mn_g_from_tcb((void *)t);
}

/* A G's TCB that g_of did not map: being made ready for a new G, so the
 * handle is a dead thread's (answered as glibc answers a dead descriptor) */
static bool stale(pthread_t t)
{
    return !mn_native() && mn_tcb_is_g((void *)t);
}

/* deadline for a join until abstime on clock (NULL: none) */
static int join_deadline(clockid_t clock, const struct timespec *abstime, int64_t *deadline)
{
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL;
    *deadline = -1;
    if (!abstime)
        return 0;
    bool bad_nsec = abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000L;
    if (bad_nsec && time_checked_first())
        *deadline = MN_JOIN_BAD_TIME;
    else if (abstime->tv_sec < 0)
        *deadline = 0; /* long past */
    else if (!bad_nsec)
        return mn_abs_deadline(clock, abstime, deadline);
    return 0;
}

MN_EXPORT int pthread_join(pthread_t t, void **result)
{
    mn_cancel_point();
    mn_g *g = g_of(t);
    if (!g)
        return stale(t) ? ESRCH : mn_real.pthread_join(t, result);
    return mn_g_join(g, result, -1, false);
}

MN_EXPORT int pthread_tryjoin_np(pthread_t t, void **result)
{
    mn_g *g = g_of(t);
    if (!g)
        return stale(t) ? EBUSY : mn_real.pthread_tryjoin_np(t, result);
    return mn_g_join(g, result, -1, true);
}

MN_EXPORT int pthread_clockjoin_np(pthread_t t, void **result, clockid_t clock,
                                   const struct timespec *abstime)
{
    mn_g *g = g_of(t);
    if (!g && !stale(t))
        return mn_real.pthread_clockjoin_np(t, result, clock, abstime);
    int64_t deadline;
    int err = join_deadline(clock, abstime, &deadline);
    if (err)
        return err;
    return g ? mn_g_join(g, result, deadline, false) : ESRCH;
}

MN_EXPORT int pthread_timedjoin_np(pthread_t t, void **result, const struct timespec *abstime)
{
    mn_g *g = g_of(t);
    if (!g && !stale(t))
        return mn_real.pthread_timedjoin_np(t, result, abstime);
    int64_t deadline;
    int err = join_deadline(CLOCK_REALTIME, abstime, &deadline);
    if (err)
        return err;
    return g ? mn_g_join(g, result, deadline, false) : ESRCH;
}

MN_EXPORT int pthread_detach(pthread_t t)
{
    mn_g *g = g_of(t);
    if (!g)
        return stale(t) ? ESRCH : mn_real.pthread_detach(t);
    return mn_g_detach(g);
}
