/* A netpoller backend for the protocol tests (syscalls/poller.h's ops
 * table): it records what pollfd.c asks of it (arms, disarms, settles)
 * and never reports anything by itself; the test delivers readiness
 * when its script says, with mn_pollfd_event, as a backend would.
 * Linked instead of syscalls/poller.c: mn_poller_get returns it. */
#ifndef MN_TESTS_UNIT_FAKE_POLLER_H
#define MN_TESTS_UNIT_FAKE_POLLER_H

#include "syscalls/poller.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#define FAKE_LOG 64

struct fake_arm {
    uint32_t index, gen;
    int dir, fd;
};

struct fake_poller {
    /* set by the test: what arm returns (false: the fd cannot be
     * polled), and whether disarm leaves registrations pending (io_uring:
     * true, their last completions are still to come; epoll: false) */
    bool arm_ok;
    bool disarm_pending;
    /* set by the test: whether adopt moves an armed direction (io_uring's
     * move: a new registration in the other slot, the old one retiring) */
    bool adopt_moves;
    /* recorded (the pollfd's lock held by the caller) */
    _Atomic int arms, disarms, settles, moves;
    struct fake_arm arm_log[FAKE_LOG];
    pid_t settled[MN_POLL_OWNERS];
};

extern struct fake_poller fake;

/* Back to the start: arms succeed, disarm leaves nothing pending. */
void fake_reset(void);
/* How many arms of (index, gen, dir) were recorded. */
int fake_arms_of(uint32_t index, uint32_t gen, int dir);

#endif
