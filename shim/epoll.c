/* epoll_wait and its variants for Gs: an event-loop thread becomes a
 * parked G too. The kernel is asked with a zero timeout; if nothing is
 * ready the G waits until the epoll fd itself is readable (it is, when
 * any of its events is pending), then asks again, until the timeout. A
 * handler that runs on the G ends it with EINTR, as the kernel's. */
#include "shim/pthread_impl.h"

#include "core/signals.h"
#include "shim/sys.h"
#include "syscalls/pollfd.h"

#include <signal.h>
#include <sys/epoll.h>

#include "compat/backfill.h" /* after the system headers */

static int g_epoll(int epfd, struct epoll_event *ev, int max, int64_t deadline,
                   const sigset_t *mask)
{
    mn_cancel_point();
    sigset_t old;
    if (mask && mn_call_mask_begin(mask, &old)) {
        mn_call_mask_end(&old);
        errno = EINTR;
        return -1;
    }
    int r = (int)MN_SYS(SYS_epoll_wait, epfd, ev, max, 0);
    struct mn_pollfd *pd = NULL;
    while (r == 0 && (deadline < 0 || mn_nanotime() < deadline)) {
        if (!pd && !(pd = mn_pollfd_get(epfd))) {
            r = -1;
            break;
        }
        /* read before asking: what comes after the answer wakes the G */
        uint32_t seq = mn_pollfd_seq(pd, MN_DIR_READ);
        r = (int)MN_SYS(SYS_epoll_wait, epfd, ev, max, 0);
        if (r == 0 && mn_pollfd_wait_for(pd, MN_DIR_READ, seq, deadline, "epoll_wait") == EINTR &&
            mn_sig_should_fail(false)) {
            errno = EINTR;
            r = -1;
        }
    }
    if (pd) {
        int e = errno;
        mn_pollfd_put(pd);
        errno = e;
    }
    if (mask)
        mn_call_mask_end(&old);
    return r;
}

static int64_t ms_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : mn_nanotime() + (int64_t)timeout_ms * 1000000;
}

MN_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout_ms)
{
    if (!mn_getg() || timeout_ms == 0)
        return (int)MN_SYS(SYS_epoll_wait, epfd, ev, max, timeout_ms);
    return g_epoll(epfd, ev, max, ms_deadline(timeout_ms), NULL);
}

MN_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout_ms,
                          const sigset_t *mask)
{
    if (!mn_getg() || timeout_ms == 0)
        return (int)MN_SYS(SYS_epoll_pwait, epfd, ev, max, timeout_ms, mask, 8);
    return g_epoll(epfd, ev, max, ms_deadline(timeout_ms), mask);
}

MN_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
                           const struct timespec *ts, const sigset_t *mask)
{
    if (!mn_getg())
        return (int)MN_SYS(SYS_epoll_pwait2, epfd, ev, max, ts, mask, 8);
    int64_t deadline = -1;
    if (ts && mn_rel_deadline(ts, &deadline) != 0) {
        errno = EINVAL;
        return -1;
    }
    return g_epoll(epfd, ev, max, deadline, mask);
}
