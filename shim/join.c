/* pthread_join, its try/timed/clock variants and pthread_detach. A handle
 * that is not a G (a foreign thread's) goes to glibc. */
#include "shim/pthread_impl.h"

static mn_g *g_of(pthread_t t)
{
    return mn_native() ? NULL : mn_g_from_tcb((void *)t);
}

MN_EXPORT int pthread_join(pthread_t t, void **result)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_join(t, result);
    return mn_g_join(g, result, -1, false);
}

MN_EXPORT int pthread_tryjoin_np(pthread_t t, void **result)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_tryjoin_np(t, result);
    return mn_g_join(g, result, -1, true);
}

MN_EXPORT int pthread_clockjoin_np(pthread_t t, void **result, clockid_t clock,
                                   const struct timespec *abstime)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_clockjoin_np(t, result, clock, abstime);
    if (!abstime)
        return mn_g_join(g, result, -1, false);
    int64_t deadline;
    int err = mn_abs_deadline(clock, abstime, &deadline);
    if (err)
        return err;
    return mn_g_join(g, result, deadline, false);
}

MN_EXPORT int pthread_timedjoin_np(pthread_t t, void **result, const struct timespec *abstime)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_timedjoin_np(t, result, abstime);
    if (!abstime)
        return mn_g_join(g, result, -1, false);
    int64_t deadline;
    int err = mn_abs_deadline(CLOCK_REALTIME, abstime, &deadline);
    if (err)
        return err;
    return mn_g_join(g, result, deadline, false);
}

MN_EXPORT int pthread_detach(pthread_t t)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_detach(t);
    return mn_g_detach(g);
}
