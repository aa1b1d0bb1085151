/* The netpoller backends (docs/design.md §9): io_uring by default, epoll when
 * io_uring cannot be set up (ENOSYS, EPERM from seccomp,
 * kernel.io_uring_disabled) or when MNRT_POLLER=epoll. Go's netpoller
 * model: the M that runs out of work collects ready I/O without waiting
 * (poll_now), the one idle M that sleeps until the next timer sleeps in
 * the poller (wait), and sysmon collects if nobody did for 10 ms. Each
 * backend file says how it deals with io_uring's completion locality.
 *
 * A backend reports readiness with mn_pollfd_event, and the threads that
 * woke, per batch, with mn_stats_note_netpoll (the live view, core/stats.h). */
#ifndef MN_SYSCALLS_POLLER_H
#define MN_SYSCALLS_POLLER_H

#include "syscalls/pollfd.h"

#include <stdbool.h>
#include <stdint.h>

struct mn_poller {
    const char *name;
    int (*init)(void);                             /* 0 or an errno value */
    /* pd locked: one notification; false if it cannot be set up (then the
     * fd counts as ready: the waiters try again and see its real state) */
    bool (*arm)(struct mn_pollfd *pd, int dir);
    /* pd locked: drops its registrations. Returns true when the kernel
     * holds the file until their last completions come (mn_pollfd_event
     * with those directions spent), false when they are gone already. */
    bool (*disarm)(struct mn_pollfd *pd);
    /* NULL, or: the registrations that disarm dropped have all ended;
     * returns once the kernel threads in owners[MN_POLL_OWNERS] (the
     * threads that armed them, 0 for none) hold nothing of the file. */
    void (*settle)(const pid_t owners[MN_POLL_OWNERS]);
    /* NULL, or: pd locked, a G is about to wait in dir, which is armed:
     * if the registration's completions go to a thread that sleeps idle
     * (which the kernel would wake only to finish them), arms dir anew
     * from this thread and cancels the old registration (pollfd.h,
     * retiring). */
    void (*adopt)(struct mn_pollfd *pd, int dir);
    /* the idle M; timeout < 0: no limit; the thread's signal mask is
     * sigmask during the wait alone */
    void (*wait)(int64_t timeout_ns, uint64_t sigmask);
    bool (*poll_now)(void);                        /* any thread, never blocks */
    bool (*poll_ready)(void); /* NULL, or: whether poll_now would find any, without a system call */
    void (*wake)(void);                            /* ends a wait, from any thread */
    /* In the child of fork: lets go of what the backend shares with the
     * parent (the child's copies of its fds, the ring's mappings) without
     * touching the parent's registrations; init may run again. */
    void (*forget)(void);
};

extern const struct mn_poller mn_poller_uring, mn_poller_epoll;

/* The poller in use, set up on first need (any thread). NULL if neither
 * backend could be set up (then Gs wait by handing off their P). */
const struct mn_poller *mn_poller_get(void);

/* In the child of fork, before any G runs there: the parent's netpoller
 * and every pollfd are forgotten (their waiters were the parent's
 * threads); the child sets up its own on first need, and the fds it
 * inherited start unregistered. */
void mn_netpoll_fork_child(void);

/* A registration's name (pollfd.h, mn_poll_id) packed into the kernel's
 * 64 bits of user data, and back. index < 2^30. */
static inline uint64_t mn_poll_token(uint32_t index, uint32_t gen, int slot, int dir)
{
    return ((uint64_t)gen << 32) | ((uint64_t)index << 2) | ((uint64_t)slot << 1) | (uint64_t)dir;
}

static inline struct mn_poll_id mn_poll_token_id(uint64_t token)
{
    return (struct mn_poll_id){.index = (uint32_t)(token & 0xffffffffu) >> 2,
                               .gen = (uint32_t)(token >> 32),
                               .slot = (int)(token >> 1) & 1,
                               .dir = (int)token & 1};
}

#endif
