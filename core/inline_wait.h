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
 * A converted I/O wait is a cancellation point exactly where glibc made
 * the call as one. glibc up to 2.40 runs a cancellable call with
 * asynchronous cancellation on (the bit is in the G's descriptor);
 * from 2.41 every cancellable call enters the kernel at one `syscall`
 * instruction of its own (__syscall_cancel_arch, a local symbol), which
 * glibc's cancel handler recognises by address. That address is found
 * once, the first time sysmon would convert an I/O wait: a kernel thread
 * glibc made blocks in glibc's read on a pipe, and /proc shows where
 * (mn_inline_wait_find_cancel_site). Before 2.41 it is read's own
 * instruction, also a cancellation point.
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

#include "core/kthread.h"

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

/* sysmon: whether the call a kernel thread of this process sleeps in is
 * one of the kinds above; fills *w if so. Makes up to two system calls on
 * the fd (fstat, getsockopt); the first time it sees an I/O wait, also
 * the search for glibc's cancellable instruction (a few hundred
 * microseconds), and no I/O wait is converted if that fails. */
bool mn_inline_wait_classify(const struct mn_kthread_call *call, struct mn_inline_wait *w);

/* sysmon, once: where glibc's cancellable system calls enter the kernel
 * (the address of the `syscall` instruction), 0 if it cannot be found. */
uintptr_t mn_inline_wait_find_cancel_site(void);

/* Whether the I/O wait converted at the `syscall` instruction pc, made by
 * a G whose descriptor's cancelhandling is as given, is a cancellation
 * point. */
bool mn_inline_wait_cancel_point(uintptr_t pc, int cancelhandling);

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
