/* The epoll backend. Each pollfd has at most one registration, made the
 * first time a G waits on it and kept until the fd is closed, as Go's
 * netpoller keeps its own: edge-triggered (EPOLLET), both directions at
 * once, the event data the poll token of (index, gen). An event spends
 * nothing (mn_pollfd_event with no spent direction), so a wait costs no
 * system call once the fd is registered; an edge in a direction nobody
 * waits in only counts in its seq (pollfd.h: a G that read seq before its
 * attempt and finds it changed tries again, so an edge between the two is
 * never lost). Readiness is posted by the thread that caused it: any M may
 * collect it. Any thread may register; only the idle M that sleeps until
 * the next timer waits (poller.h).
 *
 * The epoll instance and the eventfd are mnrt's own fds (ownfd.h): a
 * program's dup2 onto one moves it, so every call on them goes through
 * mn_own_fd_syscall.
 *
 * A registration names the file and the fd number: the program's close of
 * the number with the file still open elsewhere (a dup, a hidden
 * duplicate of pollfd.c) does not end it, so it is deleted before that
 * close (disarm), and pollfd.c registers a hidden duplicate anew.
 *
 * Waking the sleeper (epoll_wake, any thread) is Go's netpollBreak: the
 * first waker sets wake_pending and writes the eventfd; later wakers see
 * the flag and write nothing. The sleeper, woken, first reads the eventfd
 * (emptying it) and only then clears the flag. A wake that lands between
 * the two finds the flag still set and writes nothing, which is safe: its
 * change (a new timer, queued work) was made before it called wake, and
 * the sleeper looks at all of that after this wait returns. Clearing
 * before reading would let such a wake write a count that the read then
 * swallows, leaving the flag set with an empty eventfd: every later wake
 * would be dropped. */
#include "syscalls/poller.h"

#include "syscalls/ownfd.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "core/stats.h"

#include <errno.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "compat/backfill.h" /* after the system headers */

#define MAX_EVENTS 256
#define TOKEN_WAKE (~0ull)

static void epoll_wake(void);
/* The epoll instance (the sleeper blocks in it) and the eventfd (never
 * blocks: EFD_NONBLOCK); every call on them goes through
 * mn_own_fd_syscall, as they may move (ownfd.h). */
static struct mn_own_fd ep_own = {.fd = -1, .kick = epoll_wake};
static struct mn_own_fd wake_own = {.fd = -1};
static atomic_bool wake_pending;

static int ctl(int op, int fd, struct epoll_event *ev)
{
    return (int)mn_own_fd_syscall(&ep_own, SYS_epoll_ctl, op, fd, (long)ev, 0, 0);
}

static int epoll_init(void)
{
    int epfd = (int)mn_raw_syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
    if (epfd < 0)
        return -epfd;
    int wake_fd = (int)mn_raw_syscall(SYS_eventfd2, 0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TOKEN_WAKE};
    int r = wake_fd < 0 ? wake_fd
                        : (int)mn_raw_syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, wake_fd, &ev);
    if (r < 0) {
        mn_raw_syscall(SYS_close, epfd); /* not close(): no cancellation point here */
        if (wake_fd >= 0)
            mn_raw_syscall(SYS_close, wake_fd);
        return -r;
    }
    mn_own_fd_keep(&ep_own, epfd);
    mn_own_fd_keep(&wake_own, wake_fd); /* the registration follows the file */
    return 0;
}

static void epoll_wake(void)
{
    if (!atomic_exchange(&wake_pending, true)) {
        uint64_t one = 1;
        mn_own_fd_syscall(&wake_own, SYS_write, (long)&one, sizeof one, 0, 0, 0);
    }
}

static bool epoll_arm(struct mn_pollfd *pd, int dir)
{
    (void)dir; /* the registration covers both directions from the start */
    if (pd->epoll_added)
        return true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLPRI | EPOLLOUT | EPOLLET,
                             .data.u64 = mn_poll_token(pd->index, pd->gen, 0, 0)};
    int fd = atomic_load(&pd->fd);
    int r = ctl(EPOLL_CTL_ADD, fd, &ev);
    if (r == -EEXIST)
        r = ctl(EPOLL_CTL_MOD, fd, &ev);
    if (r != 0)
        return false; /* not pollable (always ready) or gone */
    pd->epoll_added = true;
    return true;
}

/* epoll holds no reference to a file: nothing to wait for. */
static bool epoll_disarm(struct mn_pollfd *pd)
{
    if (pd->epoll_added) {
        struct epoll_event ev = {0};
        ctl(EPOLL_CTL_DEL, atomic_load(&pd->fd), &ev);
        pd->epoll_added = false;
    }
    return false;
}

/* Hands the events to the pollfds; returns how many were for pollfds.
 * Only a blocking wait consumes a wake-up: the eventfd stays readable for
 * the M that blocks (Go's netpollBreak does the same). */
static int dispatch(const struct epoll_event *evs, int n, bool blocking)
{
    int delivered = 0, woken = 0;
    for (int i = 0; i < n; i++) {
        uint64_t token = evs[i].data.u64;
        if (token == TOKEN_WAKE) {
            if (blocking) { /* read, then clear: see the top of this file */
                uint64_t v;
                mn_own_fd_syscall(&wake_own, SYS_read, (long)&v, sizeof v, 0, 0, 0);
                atomic_store(&wake_pending, false);
            }
            continue;
        }
        unsigned e = evs[i].events, dirs = 0;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLPRI | EPOLLHUP | EPOLLERR))
            dirs |= 1u << MN_DIR_READ;
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
            dirs |= 1u << MN_DIR_WRITE;
        woken += mn_pollfd_event(mn_poll_token_id(token), dirs, 0);
        delivered++;
    }
    mn_stats_note_netpoll(woken);
    return delivered;
}

static void epoll_wait_events(int64_t timeout_ns, uint64_t sigmask)
{
    struct epoll_event evs[MAX_EVENTS];
    struct timespec ts, *tp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tp = &ts;
    }
    int n = (int)mn_own_fd_syscall(&ep_own, SYS_epoll_pwait2, (long)evs, MAX_EVENTS, (long)tp,
                                   (long)&sigmask, sizeof sigmask);
    if (n == -ENOSYS) /* before 5.11: in milliseconds */
        n = (int)mn_own_fd_syscall(&ep_own, SYS_epoll_pwait, (long)evs, MAX_EVENTS,
                                   timeout_ns < 0 ? -1 : (int)((timeout_ns + 999999) / 1000000),
                                   (long)&sigmask, sizeof sigmask);
    dispatch(evs, n, true);
}

/* An M with nothing to do takes what is ready (epoll reports readiness in
 * the context of whoever caused it: any thread may collect it). */
static bool epoll_poll_now(void)
{
    struct epoll_event evs[64];
    int n = (int)mn_own_fd_syscall(&ep_own, SYS_epoll_wait, (long)evs, 64, 0, 0, 0);
    return n > 0 && dispatch(evs, n, false) > 0;
}

/* The epoll instance is the parent's too: the child's registrations must
 * not land in it (the next init makes the child's own). */
static void epoll_forget(void)
{
    mn_own_fd_close(&ep_own);
    mn_own_fd_close(&wake_own);
    atomic_store(&wake_pending, false);
}

const struct mn_poller mn_poller_epoll = {
    .name = "epoll",
    .init = epoll_init,
    .arm = epoll_arm,
    .disarm = epoll_disarm,
    .settle = NULL,
    .wait = epoll_wait_events,
    .poll_now = epoll_poll_now,
    .wake = epoll_wake,
    .forget = epoll_forget,
};
