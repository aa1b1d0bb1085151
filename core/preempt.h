/* Asynchronous preemption (docs/design.md §13; docs/glibc-facts.md §6,
 * how it was verified; Go 1.14's asyncPreempt). A G that sysmon asks to
 * yield (g->preempt, after its slice on its P: sysmon.h) while others
 * wait for its P gets a signal at once, as in Go, and again at sysmon's
 * next looks while it has not yielded: sysmon sets m->preempt_sig and
 * sends SIGURG with tgkill to that M's kernel thread, only when the
 * thread is running (its CPU clock advanced, its state is R: a thread
 * blocked in the kernel could see EINTR). Meanwhile the G yields at its
 * entries into mnrt but the releases (runtime.h,
 * mn_check_preempt_at_release), where a thread often holds a lock of the
 * program's own; there too once the signal failed a few times. The
 * handler, on the M's alternate stack, makes the interrupted code call
 * mn_preempt_trampoline (preempt_x86_64.S) as if it had called it itself,
 * past the 128-byte red zone; the trampoline saves flags, general
 * registers and the extended state, yields the G (mn_yield_preempted: to
 * the global queue, runtime.h), and when
 * the G runs again (on any M) restores everything and returns to the
 * interrupted instruction.
 *
 * Invariants:
 * - The handler injects only when all of these hold, and otherwise leaves
 *   the G as it is (the cooperative ask stands; sysmon tries again at its
 *   next look): this M asked for it (m->preempt_sig, taken back here) and
 *   the signal is sysmon's (SI_TKILL from this process); the G is the M's
 *   current G and still asked to yield; the interrupted instruction is
 *   not in libmnrt, glibc, ld.so or the vDSO (codemap.h); the M holds no
 *   mn_lock (m->locks); the G is in no system call bracket and in no
 *   program signal handler (sig_frames); the M holds its P in USER
 *   state; the interrupted stack pointer is on the G's own stack with room
 *   for the trampoline's frame; the handler runs on the M's alternate
 *   stack (so nothing of the kernel's signal frame lies below the red zone
 *   the trampoline's frame goes to).
 * - Nothing M-specific is kept across the yield: the trampoline's frame is
 *   on the G's stack, the thread pointer is the G's own TCB.
 * - A G locked to its M is preempted like the others: its yield sends it
 *   back to its M through the global queue (g0 hands its M the P).
 * - Every signal that may lead into the trampoline is sent by
 *   mn_preempt_signal or mn_preempt_convert, which first measure what the
 *   trampoline saves (CPUID, once: not at boot, where it cost 17 us of
 *   every program's start in a virtual machine) and find the main G's
 *   stack (mn_g_main_stack_find).
 * - The same signal converts an inline wait (mn_preempt_convert): sysmon
 *   sets m->convert and m->convert_sig instead of m->preempt_sig, and the
 *   handler injects the same call only for the exact state in which the
 *   kernel restarts that wait (inline_wait.h; docs/glibc-facts.md §10),
 *   where the G is at a system call boundary, usually in glibc: the
 *   conditions above hold but for the code being glibc's and the ask.
 *   The call parks the G (a futex word as a watched wait, watch.h; an fd
 *   in the netpoller), then returns to the call, which the kernel makes
 *   again; or, when a signal handler without SA_RESTART ended an fd wait,
 *   past it with EINTR, as the kernel would have returned.
 * - Every SIGURG that is not such a request goes to mn_sig_from_kernel
 *   (signals.h); SIGURG's default action is to ignore it.
 * - The handler is async-signal-safe: it reads fixed data, takes no lock,
 *   allocates nothing and keeps errno. */
#ifndef MN_CORE_PREEMPT_H
#define MN_CORE_PREEMPT_H

#include "core/runtime.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* At boot, on the main thread, when MNRT_DEBUG does not turn it off:
 * finds the runtime's code, measures the extended state and installs the
 * SIGURG handler. Returns false (preemption stays off, with a warning
 * under MNRT_DEBUG) if any of it fails. */
bool mn_preempt_init(void);

/* sysmon: m's G sleeps inline in the wait w (inline_wait.h: glibc's
 * internal locks, stdio's I/O); asks m by signal to park the G there
 * instead, so that m runs other Gs meanwhile. The handler converts only
 * that exact state (its `convertible`); the call is made again when the G
 * runs. Returns whether the signal was sent. */
bool mn_preempt_convert(mn_m *m, const struct mn_inline_wait *w);
/* Inline waits so converted (mnrt_get_stats). */
int64_t mn_preempt_converted(void);

/* In the child of fork: sysmon's requests come from the child's pid. */
void mn_preempt_fork_child(void);

/* Whether preemption by signal is on. */
bool mn_preempt_on(void);

/* sysmon: asks m, which runs a G that ignored the cooperative ask, to
 * preempt it by signal; only if m's kernel thread is running now.
 * Returns whether the signal was sent. */
bool mn_preempt_signal(mn_m *m);

/* Whether g, interrupted by a signal on its M at pc, runs its own code
 * where preemption may stop it: the invariants above but the ask and the
 * stacks (asynchronous cancellation unwinds it there, shim/cancel.c).
 * Async-signal-safe; false while preemption is off. */
bool mn_preempt_program_code(mn_g *g, uintptr_t pc);

/* The SIGURG handler: the one entry point of preemption signals. */
void mn_preempt_on_sigurg(int sig, siginfo_t *info, void *uc);

/* Preemptions made so far (mnrt_get_stats). */
int64_t mn_preempt_count(void);

/* The registers the trampoline saved, as it pushed them. */
struct mn_preempt_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, rflags;
    uint64_t rip; /* where the interrupted code goes on */
};

/* For the trampoline only: yields the calling G (mn_yield_preempted), or
 * parks it for its converted wait, keeping errno. */
void mn_preempt_yield(struct mn_preempt_frame *frame);
void mn_preempt_trampoline(void);

/* The kernel signal mask of an M running a G is the G's without this bit
 * (SIGURG's, 0 while preemption is off), so that a G that blocks every
 * signal can still be preempted (sched.c apply_sigmask). */
extern uint64_t mn_preempt_sigbit;

/* The extended state the trampoline saves (preempt.c, read by
 * preempt_x86_64.S): its size, the xsave mask, whether xsave is usable
 * (else fxsave, 512 bytes). */
extern uint32_t mn_xstate_size;
extern uint64_t mn_xstate_mask;
extern uint8_t mn_xstate_xsave;

#endif
