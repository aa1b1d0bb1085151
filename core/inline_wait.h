/* Waits a kernel thread makes inline, where mnrt did not see it go
 * (docs/design.md §8): which of them sysmon may ask the M to turn into a
 * park of its G (preempt.h, mn_preempt_convert), and how the preemption
 * handler recognises the exact state to convert.
 *
 * Two kinds are converted, both only where the kernel restarts the call
 * by itself after a handler with SA_RESTART (so the program cannot see
 * the conversion):
 * - a private futex wait without a deadline (glibc's internal locks:
 *   stdio streams, malloc arenas, the loader). The G parks on the word as
 *   a watched wait (watch.h).
 * - a read or write on a pipe, FIFO or socket (stdio's own I/O on fds it
 *   was handed, syslog, raw system calls of other libraries): read,
 *   readv, recvfrom, recvmsg, accept, accept4, write, writev, sendto,
 *   sendmsg. Only where no socket timeout is set for that direction: the
 *   kernel ends such a call with EINTR instead of restarting it. The G
 *   waits for the fd's readiness in the netpoller (mn_hooks.io_wait).
 *   Not converted: connect (a restarted connect fails with EALREADY),
 *   poll, select and epoll_wait (their restart is restart_syscall with
 *   the time left), ttys and other devices (restart is each driver's
 *   choice). A write that had written part of its data when the signal
 *   came returns that part instead of restarting: not converted then, and
 *   the caller sees a short write, as any signal could cause (glibc's
 *   stdio writes the rest).
 *
 * Invariants: the state is recognised from the registers alone: the
 * kernel put the program counter back on the `syscall` instruction and
 * the call's number in rax (its restart), and the first four arguments
 * are the ones sysmon read from /proc; a state that differs in anything
 * is left alone. The fd checks are made by sysmon just before the signal;
 * a setsockopt between the two is the one way a conversion can be seen
 * (EINTR from a call with a timeout). */
#ifndef MN_CORE_INLINE_WAIT_H
#define MN_CORE_INLINE_WAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

enum mn_inline_kind { MN_INLINE_FUTEX, MN_INLINE_IO };

struct mn_inline_wait {
    long nr;                  /* the system call */
    unsigned long args[4];    /* its first four arguments, as the kernel saw them */
    enum mn_inline_kind kind;
    int dir;                  /* MN_INLINE_IO: 0 read (or accept), 1 write */
};

/* sysmon: whether the call nr(args) a kernel thread of this process
 * sleeps in is one of the kinds above; fills *w if so. Makes up to two
 * system calls on the fd (fstat, getsockopt). */
bool mn_inline_wait_classify(long nr, const unsigned long args[6], struct mn_inline_wait *w);

/* In the handler: whether ctx is w's call, put back to be made again. */
bool mn_inline_wait_matches(const struct mn_inline_wait *w, const mcontext_t *ctx);

/* The futex word and value of a MN_INLINE_FUTEX wait. */
static inline _Atomic uint32_t *mn_inline_wait_word(const struct mn_inline_wait *w)
{
    return (_Atomic uint32_t *)(uintptr_t)w->args[0];
}
static inline uint32_t mn_inline_wait_val(const struct mn_inline_wait *w)
{
    return (uint32_t)w->args[2];
}

/* The fd of a MN_INLINE_IO wait. */
static inline int mn_inline_wait_fd(const struct mn_inline_wait *w)
{
    return (int)w->args[0];
}

#endif
