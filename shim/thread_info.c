/* What a program can ask about or set on a thread besides its life:
 * getattr_np (a G's real stack), names, scheduling parameters, affinity,
 * CPU-time clocks. For a G these describe the program's thread, not the
 * kernel thread that happens to run it (README, Differences). */
#include "shim/bound.h"

#include "core/cputime.h"

#include <sched.h>
#include <sys/syscall.h>
#include <string.h>

static mn_g *g_of(pthread_t t)
{
    return mn_native() ? NULL : mn_g_from_tcb((void *)t);
}

MN_EXPORT int pthread_getattr_np(pthread_t t, pthread_attr_t *attr)
{
    mn_g *g = g_of(t);
    if (!g) /* glibc's own threads: glibc knows them (not a G's TCB) */
        return mn_real.pthread_getattr_np(t, attr);
    if (g->is_main)
        mn_g_main_stack_find();
    int err = pthread_attr_init(attr);
    if (err)
        return err;
    pthread_attr_setstack(attr, g->stack.lo, g->stack.size);
    pthread_attr_setguardsize(attr, g->stack.guard);
    mn_lock_acquire(&g->join_lock);
    bool detached = g->detached;
    mn_lock_release(&g->join_lock);
    pthread_attr_setdetachstate(attr, detached ? PTHREAD_CREATE_DETACHED
                                                       : PTHREAD_CREATE_JOINABLE);
    return 0;
}

MN_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_setname_np(t, name);
    size_t len = strlen(name);
    if (len >= sizeof g->name)
        return ERANGE;
    memcpy(g->name, name, len + 1);
    return 0;
}

MN_EXPORT int pthread_getname_np(pthread_t t, char *buf, size_t len)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_getname_np(t, buf, len);
    const char *name = g->name;
    if (!name[0]) /* never named: like a new thread, the program's name */
        name = program_invocation_short_name;
    size_t n = strnlen(name, sizeof g->name - 1);
    if (len < sizeof g->name) /* glibc wants room for any name */
        return ERANGE;
    memcpy(buf, name, n);
    buf[n] = 0;
    return 0;
}

MN_EXPORT int pthread_setschedparam(pthread_t t, int policy, const struct sched_param *param)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_setschedparam(t, policy, param);
    if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE &&
        policy != SCHED_FIFO && policy != SCHED_RR)
        return EINVAL;
    mn_warn_once("thread scheduling policies do not apply to threads run by mnrt; ignored");
    return 0;
}

MN_EXPORT int pthread_getschedparam(pthread_t t, int *policy, struct sched_param *param)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_getschedparam(t, policy, param);
    *policy = SCHED_OTHER;
    param->sched_priority = 0;
    return 0;
}

MN_EXPORT int pthread_setschedprio(pthread_t t, int prio)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_setschedprio(t, prio);
    return 0;
}

/* A G's own affinity: it is locked to its M for good, whose affinity it
 * sets (shim/bound.c). Another G's cannot be set: it would be that of
 * whichever kernel thread runs it next. */
MN_EXPORT int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t *set)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_setaffinity_np(t, size, set);
    if (g == mn_getg()) {
        int saved = errno;
        int err = mn_bound_syscall(SYS_sched_setaffinity, 0, (long)size, (long)set, 0, 0) == 0
                      ? 0
                      : errno;
        errno = saved; /* pthread functions leave errno alone */
        return err;
    }
    mn_warn_once("pthread_setaffinity_np of another thread run by mnrt is ignored "
                 "(a thread can set its own)");
    return 0;
}

MN_EXPORT int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t *set)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_getaffinity_np(t, size, set);
    return sched_getaffinity(0, size, set) == 0 ? 0 : errno;
}

MN_EXPORT int pthread_getcpuclockid(pthread_t t, clockid_t *clock)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_getcpuclockid(t, clock);
    if (!mn_g_alive(g))
        return ESRCH;
    if (mn_g_index(g) >= (1u << 28) - (1u << 22))
        return ENOENT; /* (beyond what a clock id can hold: shim/cputime.c) */
    mn_cputime_start(g); /* its time counts from now, if it did not yet */
    *clock = mn_g_cpuclock(g);
    return 0;
}
