/* A program thread's CPU time (core/cputime.h): CLOCK_THREAD_CPUTIME_ID,
 * the clock pthread_getcpuclockid gives for a thread (shim/thread_info.c)
 * and getrusage(RUSAGE_THREAD) are the G's, not its kernel thread's. The
 * clock of a G is the kernel's encoding of a thread CPU clock (~tid << 3
 * | 6) for a tid no kernel thread can have: above PID_MAX_LIMIT (2^22),
 * the G's index (mn_g_index; its fake tid itself does not fit in the
 * 29 bits there are). clock_gettime and clock_getres answer it here.
 * Every other clock goes straight to glibc's (the vDSO), after one
 * comparison. */
#include "shim/pthread_impl.h"

#include "core/cputime.h"

#include <sys/resource.h>

#define THREAD_SCHED_CLOCK 6     /* CPUCLOCK_PERTHREAD_MASK | CPUCLOCK_SCHED */
#define PID_MAX_LIMIT (1u << 22) /* the kernel's, for any pid_max */
#define MAX_INDEX ((1u << 28) - PID_MAX_LIMIT)

clockid_t mn_g_cpuclock(mn_g *g)
{
    uint32_t v = PID_MAX_LIMIT + mn_g_index(g);
    return (clockid_t)((~v << 3) | THREAD_SCHED_CLOCK);
}

/* The G whose clock clk is, or NULL (a kernel thread's, or no clock). */
static mn_g *g_of_clock(clockid_t clk)
{
    if (clk >= 0 || (clk & 7) != THREAD_SCHED_CLOCK)
        return NULL;
    uint32_t v = ~(uint32_t)(clk >> 3); /* (arithmetic shift: the high bits are ones) */
    if (v < PID_MAX_LIMIT || v - PID_MAX_LIMIT >= MAX_INDEX)
        return NULL;
    return mn_g_from_index(v - PID_MAX_LIMIT);
}

static void to_timespec(int64_t ns, struct timespec *ts)
{
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
}

/* Reading a CPU clock is a system call (no vDSO), often made in a
 * computing loop, where a preemption signal that lands in it (or in the
 * code around it, mnrt's or libc's) cannot stop the thread: so it is a
 * scheduling point (mn_check_preempt), as Go's loops have their preemption
 * checks. A thread that computes and read its clock kept a sleeper's
 * wake-up waiting tens to hundreds of milliseconds. */
MN_EXPORT int clock_gettime(clockid_t clk, struct timespec *ts)
{
    if (__builtin_expect(clk >= 0 && clk != CLOCK_THREAD_CPUTIME_ID, 1) || mn_native()) {
        int r = mn_real.clock_gettime(clk, ts);
        if (clk == CLOCK_PROCESS_CPUTIME_ID)
            mn_check_preempt();
        return r;
    }
    mn_g *self = mn_getg();
    mn_g *g = clk == CLOCK_THREAD_CPUTIME_ID ? self : g_of_clock(clk);
    if (!g)
        return mn_real.clock_gettime(clk, ts); /* a kernel thread's */
    int64_t ns = g == self ? mn_cputime_self() : mn_cputime_of(g);
    if (ns < 0) { /* a finished thread's clock (pthread_getcpuclockid started it) */
        errno = EINVAL;
        return -1;
    }
    to_timespec(ns, ts);
    mn_check_preempt();
    return 0;
}

MN_EXPORT int clock_getres(clockid_t clk, struct timespec *res)
{
    if (mn_native() || !g_of_clock(clk))
        return mn_real.clock_getres(clk, res);
    if (res)
        *res = (struct timespec){0, 1};
    return 0;
}

MN_EXPORT int getrusage(__rusage_who_t who, struct rusage *ru)
{
    mn_g *g = mn_native() ? NULL : mn_getg();
    if (who != RUSAGE_THREAD || !g)
        return mn_real.getrusage(who, ru);
    /* the kernel thread's, for all but the CPU time; its user/system
     * split is applied to the G's own time */
    if (mn_real.getrusage(RUSAGE_THREAD, ru) != 0)
        return -1;
    int64_t total = mn_cputime_self();
    int64_t u = ru->ru_utime.tv_sec * 1000000 + ru->ru_utime.tv_usec;
    int64_t s = ru->ru_stime.tv_sec * 1000000 + ru->ru_stime.tv_usec;
    int64_t sys_ns = u + s > 0 ? (int64_t)((__int128)total * s / (u + s)) : 0;
    int64_t user_ns = total - sys_ns;
    ru->ru_utime = (struct timeval){user_ns / 1000000000, user_ns % 1000000000 / 1000};
    ru->ru_stime = (struct timeval){sys_ns / 1000000000, sys_ns % 1000000000 / 1000};
    mn_check_preempt(); /* as clock_gettime of a CPU clock */
    return 0;
}
