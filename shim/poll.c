/* poll, ppoll, select, pselect for Gs: the kernel answers for the ready
 * fds (a zero-timeout call); only the waiting is mnrt's: the G queues on
 * every fd of interest (syscalls/pollfd.h) and asks the kernel again when
 * one of them may be ready, until the timeout. A G's signal mask for
 * ppoll/pselect is applied to the G for the duration of the call. A
 * handler that runs on the G ends the call with EINTR (also with
 * SA_RESTART, as the kernel's). */
#include "shim/pthread_impl.h"

#include "core/mem.h"
#include "core/signals.h"
#include "shim/sys.h"
#include "syscalls/pollfd.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#define READ_EVENTS (POLLIN | POLLPRI | POLLRDNORM | POLLRDBAND | POLLRDHUP)
#define WRITE_EVENTS (POLLOUT | POLLWRNORM | POLLWRBAND)

/* The kernel's answer for the fds of a poll list, with a zero timeout. */
typedef int (*probe_fn)(void *arg);

/* Asks probe until it reports something (its result is returned), the
 * deadline passes, or it fails; in between, the G queues on every fd of
 * fds (two nodes per fd at most). Each fd's notification count is read
 * before each probe, so what becomes ready after the probe wakes the G.
 * errno ENOMEM if the lists cannot be allocated. */
static int wait_loop(const struct pollfd *fds, nfds_t n, int64_t deadline, probe_fn probe,
                     void *arg)
{
    int res = probe(arg); /* the common case, before any queueing */
    if (res != 0 || (deadline >= 0 && mn_nanotime() >= deadline))
        return res;
    enum { SMALL = 16 };
    struct mn_pollfd *pds_small[2 * SMALL];
    int dirs_small[2 * SMALL] = {0};
    uint32_t seqs_small[2 * SMALL];
    struct mn_pollnode nodes_small[2 * SMALL];
    struct mn_pollfd **pds = pds_small;
    int *dirs = dirs_small;
    uint32_t *seqs = seqs_small;
    struct mn_pollnode *nodes = nodes_small;
    struct mn_buf large = {0};
    if (n > SMALL) { /* mnrt's own memory (core/mem.h: poll allocates nothing) */
        void *heap =
            mn_buf_get(&large, 2 * n * (sizeof *pds + sizeof *dirs + sizeof *seqs + sizeof *nodes));
        if (!heap) {
            errno = ENOMEM;
            return -1;
        }
        nodes = heap;
        pds = (struct mn_pollfd **)(nodes + 2 * n);
        seqs = (uint32_t *)(pds + 2 * n);
        dirs = (int *)(seqs + 2 * n);
    }
    int k = 0;
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].fd < 0)
            continue;
        bool r = fds[i].events & READ_EVENTS, w = fds[i].events & WRITE_EVENTS;
        for (int dir = 0; dir < 2; dir++) {
            if ((dir == MN_DIR_READ && !r && w) || (dir == MN_DIR_WRITE && !w))
                continue; /* (errors and hang-ups wake a read waiter too) */
            struct mn_pollfd *pd = mn_pollfd_get(fds[i].fd);
            if (!pd)
                continue;
            pds[k] = pd;
            dirs[k++] = dir;
        }
    }
    for (;;) {
        for (int i = 0; i < k; i++)
            seqs[i] = mn_pollfd_seq(pds[i], dirs[i]);
        res = probe(arg);
        if (res != 0 || (deadline >= 0 && mn_nanotime() >= deadline))
            break;
        if (mn_pollfd_wait_any(pds, dirs, seqs, nodes, k, deadline) == EINTR &&
            mn_sig_should_fail(false)) {
            errno = EINTR;
            res = -1;
            break;
        }
    }
    int err = errno;
    for (int i = 0; i < k; i++)
        mn_pollfd_put(pds[i]);
    if (large.p)
        mn_buf_put(&large);
    errno = err;
    return res;
}

struct poll_args {
    struct pollfd *fds;
    nfds_t n;
};

static int poll_probe(void *arg)
{
    struct poll_args *a = arg;
    struct timespec zero = {0, 0};
    return (int)MN_SYS(SYS_ppoll, a->fds, a->n, &zero, NULL, 8);
}

/* ppoll semantics for a G; deadline < 0: none. */
static int g_poll(struct pollfd *fds, nfds_t n, int64_t deadline, const sigset_t *mask)
{
    mn_cancel_point();
    sigset_t old;
    int r = -1;
    struct poll_args a = {fds, n};
    if (mask && mn_call_mask_begin(mask, &old))
        errno = EINTR;
    else
        r = wait_loop(fds, n, deadline, poll_probe, &a);
    if (mask)
        mn_call_mask_end(&old);
    return r;
}

MN_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    if (!mn_getg())
        return (int)MN_SYS(SYS_poll, fds, n, timeout_ms);
    if (timeout_ms != 0)
        mn_input_turn();
    int64_t deadline = timeout_ms < 0 ? -1 : mn_nanotime() + (int64_t)timeout_ms * 1000000;
    return g_poll(fds, n, deadline, NULL);
}

MN_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                    const sigset_t *mask)
{
    if (!mn_getg())
        return (int)MN_SYS(SYS_ppoll, fds, n, ts, mask, 8);
    int64_t deadline = -1;
    if (ts && mn_rel_deadline(ts, &deadline) != 0) {
        errno = EINVAL;
        return -1;
    }
    if (!ts || ts->tv_sec || ts->tv_nsec)
        mn_input_turn();
    return g_poll(fds, n, deadline, mask);
}

MN_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return poll(fds, n, timeout_ms);
}

MN_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
                          const sigset_t *mask, size_t fdslen)
{
    if (fdslen / sizeof *fds < n)
        __chk_fail();
    return ppoll(fds, n, ts, mask);
}

/* select: the sets as a poll list for the waiting; the kernel's select
 * (with a zero timeout, on copies of the sets) for the answers. */
struct select_args {
    int nfds;
    fd_set *r, *w, *e;
    const fd_set *in_r, *in_w, *in_e;
};

static int select_probe(void *arg)
{
    struct select_args *a = arg;
    if (a->r)
        *a->r = *a->in_r;
    if (a->w)
        *a->w = *a->in_w;
    if (a->e)
        *a->e = *a->in_e;
    struct timespec zero = {0, 0};
    return (int)MN_SYS(SYS_pselect6, a->nfds, a->r, a->w, a->e, &zero, NULL);
}

static int g_select(int nfds, fd_set *r, fd_set *w, fd_set *e, int64_t deadline,
                    const sigset_t *mask)
{
    mn_cancel_point();
    if (nfds < 0 || nfds > FD_SETSIZE) {
        errno = EINVAL;
        return -1;
    }
    fd_set in_r, in_w, in_e;
    if (r)
        in_r = *r;
    if (w)
        in_w = *w;
    if (e)
        in_e = *e;
    struct pollfd list[FD_SETSIZE];
    nfds_t n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        short ev = (r && FD_ISSET(fd, &in_r) ? POLLIN : 0) |
                   (w && FD_ISSET(fd, &in_w) ? POLLOUT : 0) |
                   (e && FD_ISSET(fd, &in_e) ? POLLPRI : 0);
        if (ev)
            list[n++] = (struct pollfd){.fd = fd, .events = ev};
    }
    sigset_t old;
    int res = -1;
    struct select_args a = {nfds, r, w, e, &in_r, &in_w, &in_e};
    if (mask && mn_call_mask_begin(mask, &old))
        errno = EINTR;
    else
        res = wait_loop(list, n, deadline, select_probe, &a);
    if (res < 0) { /* the sets as they came, as Linux leaves them (gdb retries with them) */
        if (r)
            *r = in_r;
        if (w)
            *w = in_w;
        if (e)
            *e = in_e;
    }
    if (mask)
        mn_call_mask_end(&old);
    return res;
}

MN_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
    if (!mn_getg())
        return (int)MN_SYS(SYS_select, nfds, r, w, e, tv);
    int64_t deadline = -1;
    if (tv) {
        if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000) {
            errno = EINVAL;
            return -1;
        }
        deadline = mn_nanotime() + (int64_t)tv->tv_sec * 1000000000 + tv->tv_usec * 1000;
    }
    int res = g_select(nfds, r, w, e, deadline, NULL);
    if (tv && res >= 0) { /* Linux reports the time left */
        int64_t left = deadline - mn_nanotime();
        if (left < 0)
            left = 0;
        tv->tv_sec = left / 1000000000;
        tv->tv_usec = (left % 1000000000) / 1000;
    }
    return res;
}

MN_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
                      const sigset_t *mask)
{
    if (!mn_getg()) {
        struct {
            const sigset_t *ss;
            size_t len;
        } data = {mask, 8};
        return (int)MN_SYS(SYS_pselect6, nfds, r, w, e, ts, mask ? &data : NULL);
    }
    int64_t deadline = -1;
    if (ts && mn_rel_deadline(ts, &deadline) != 0) {
        errno = EINVAL;
        return -1;
    }
    return g_select(nfds, r, w, e, deadline, mask);
}
