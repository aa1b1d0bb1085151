/* sleep, usleep, nanosleep, clock_nanosleep: a G parks on a timer of its
 * P instead of blocking its kernel thread (docs/design.md §7). A foreign
 * thread sleeps in the kernel. A handler that runs on the G ends the
 * sleep with EINTR and the time left, as the kernel's does (also with
 * SA_RESTART); a signal that runs no handler does not. */
#include "shim/pthread_impl.h"
#include "shim/sys.h"

#include "core/signals.h"

#include <sys/syscall.h>
#include <unistd.h>

/* 0, or EINTR with the time left before deadline in *left. */
static int g_sleep_until(int64_t deadline, int64_t *left)
{
    mn_cancel_point();
    for (;;) {
        struct mn_waiter w;
        mn_waiter_init(&w, "sleep");
        w.intr = true;
        w.cancel_point = true;
        w.cancel = mn_waiter_cancel_once;
        if (mn_waiter_block(&w, deadline) != EINTR)
            return 0;
        if (mn_sig_should_fail(false)) {
            int64_t l = deadline - mn_nanotime();
            *left = l > 0 ? l : 0;
            return EINTR;
        }
    }
}

static int kernel_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                                  struct timespec *rem)
{
    long r = MN_SYS_CANCELLABLE(SYS_clock_nanosleep, clock, flags, req, rem);
    return r == 0 ? 0 : errno;
}

int mn_clock_sleep(clockid_t clock, int flags, const struct timespec *req,
                   struct timespec *rem)
{
    if (!mn_getg() || (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC &&
                       clock != CLOCK_BOOTTIME && clock != CLOCK_TAI))
        return kernel_clock_nanosleep(clock, flags, req, rem);
    int64_t deadline;
    int err;
    if (flags & TIMER_ABSTIME) {
        struct timespec now_c;
        if (req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
            return EINVAL;
        clock_gettime(clock, &now_c);
        struct timespec rel = {0, 0};
        int64_t left = mn_timespec_ns(req) - mn_timespec_ns(&now_c);
        if (left > 0) {
            rel.tv_sec = left / 1000000000;
            rel.tv_nsec = left % 1000000000;
        }
        err = mn_rel_deadline(&rel, &deadline);
    } else {
        err = mn_rel_deadline(req, &deadline);
    }
    if (err)
        return err;
    int64_t left = 0;
    err = g_sleep_until(deadline, &left);
    if (rem && !(flags & TIMER_ABSTIME))
        *rem = (struct timespec){left / 1000000000, left % 1000000000};
    return err;
}

MN_EXPORT int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                              struct timespec *rem)
{
    if (clock == CLOCK_THREAD_CPUTIME_ID)
        return EINVAL; /* glibc's answer (the kernel's is EOPNOTSUPP) */
    return mn_clock_sleep(clock, flags, req, rem);
}

MN_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    int err = mn_clock_sleep(CLOCK_MONOTONIC, 0, req, rem);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

MN_EXPORT int usleep(useconds_t usec)
{
    struct timespec ts = {usec / 1000000, (long)(usec % 1000000) * 1000};
    return nanosleep(&ts, NULL);
}

MN_EXPORT unsigned sleep(unsigned seconds)
{
    struct timespec ts = {seconds, 0}, rem = {0, 0};
    if (nanosleep(&ts, &rem) < 0)
        return (unsigned)rem.tv_sec + (rem.tv_nsec > 0);
    return 0;
}

MN_EXPORT int sched_yield(void)
{
    if (!mn_getg())
        return (int)MN_SYS(SYS_sched_yield);
    mn_yield();
    return 0;
}
