/* Signals to program threads under M:N (Go's signal forwarding, applied to
 * threads that each have their own mask and handlers that run on them).
 *
 * The kernel knows kernel threads, not Gs, so mnrt decides which G a
 * signal is for and runs the program's handler there:
 *
 * - Kernel masks. An M running a G has that G's mask (sched.c), so the
 *   kernel's own thread-directed signals (SIGPIPE, a fault, raise(), a
 *   timer aimed at the thread) reach the G that caused them. An M without
 *   a G asleep (idle, polling) blocks every program signal (but those
 *   no G blocks, while there is no sysmon: mn_sig_idle_mask). sysmon
 *   accepts exactly the signals that some live G accepts (the union of
 *   the Gs' masks, kept with a count per distinct mask), so a
 *   process-directed signal that a parked G accepts still has a kernel
 *   thread to land on, and one that every G blocks stays pending in the
 *   kernel, where sigwait, sigtimedwait and signalfd find it, as natively.
 *   A signal that a thread takes only to post it (below: sysmon; an M
 *   between Gs, which keeps its last G's mask until it runs the next or
 *   sleeps; a G holding an mn_lock) stays blocked there: in sysmon until
 *   it has routed it (mn_sig_forward), in an M until its next G or sleep,
 *   in a G until it releases its last lock (m->locks.sigmask_stale,
 *   lock.h). Each delivery makes a POSIX timer
 *   that is due at once send the next: with a 1 MHz timer such a thread
 *   spent all its time in the handler and never got on (stress-ng
 *   --timer hung, sysmon waiting for a lock the G's M held).
 * - The program's actions. The program's sigaction is recorded here
 *   (shim/sigaction.c); the kernel's action for a handled signal is
 *   mn_sig_from_kernel, with the program's flags and mask. SIG_DFL and
 *   SIG_IGN go to the kernel as they are, but SIGQUIT's SIG_DFL, which is
 *   the thread dump's action (dump.h: a dump, then death by SIGQUIT).
 *   The signals of faults stay with core/faults.c (SIGSEGV's handler
 *   reports stack overflows first).
 * - mn_sig_from_kernel runs the program's handler at once when it
 *   interrupted a G in the G's own code (not in a switch, holding no mnrt
 *   lock) and that G is the right one: the signal was aimed at this G
 *   (pending in it, or thread-directed by the kernel or tgkill), or it was
 *   sent to the process and the main thread does not take it (Linux tries
 *   the main thread first). Anywhere else (an M between Gs, mnrt's own
 *   critical sections) it only records the signal in a lock-free inbox (siginbox.h) and
 *   pokes sysmon, so no handler ever runs where the code it interrupted
 *   holds a lock the handler may need (sem_post, pthread_cond_signal).
 *   A switch starts where the G starts to park or yield (g->switching,
 *   sched.c), before it hands its M anything: a handler may itself park
 *   or yield the G (sem_post yields when sysmon asked), and the switch
 *   would then go on with another park's commit, or an M the G has left
 *   (a G parked on a waiter not its own: a wake-up lost for good).
 * - sysmon empties the inbox (mn_sig_forward) and gives each signal a G:
 *   the main thread if it accepts it, else the G it landed on, else a G
 *   parked in an interruptible wait, else any G that accepts it; if none
 *   does (a G changed its mask meanwhile), it stays pending for the
 *   process in mnrt, for the first G that unblocks it.
 * - mn_sig_send makes a signal pending in a G; a real-time one that is
 *   pending already queues behind it (up to 64 per G), as the kernel
 *   queues them, and a standard one is pending at most once as sent to
 *   the thread and once as the process's, as the kernel keeps its
 *   thread's and its process's pending sets apart. A signal a G sends
 *   itself while it blocks it is made pending in the G too (a raise()
 *   left pending in its kernel thread ran on the next G there that
 *   accepted it). A G parked in an
 *   interruptible wait (sleep, poll, I/O, sem_wait, ...) has the wait
 *   cancelled with EINTR; a running G's M is sent the signal again, marked
 *   as mnrt's (si_errno == MN_SIG_MARK), so that it runs there (where the
 *   G holds a lock of mnrt's it cannot: then at the G's next entry into
 *   mnrt, a yield, or an interruptible wait, which runs it instead of
 *   parking: waiter.c); a G that is neither runs it when it next runs
 *   (mn_resume_g). A G runs its
 *   pending signals by sending each to its own kernel thread, marked, so
 *   the kernel builds the frame and the handler runs on the G's stack
 *   with its TLS, as natively (mn_sig_deliver_pending).
 * - EINTR: a wait site that was interrupted asks mn_sig_should_fail
 *   whether the call fails with EINTR or restarts (SA_RESTART), by the
 *   same table as the kernel's.
 *
 * Lock order (docs/lock-order.md): g->siglock, then the lock of the
 * structure a G waits in (its waiter's cancel); mask_lock alone. In a
 * signal handler the only lock taken is the G's own siglock, when it runs
 * a pending signal of its own (the real-time queue): only where the G
 * holds no mnrt lock (the handler runs there only), so the holder is
 * another thread, which lets go. */
#ifndef MN_CORE_SIGNALS_H
#define MN_CORE_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct mn_g;
struct mn_waiter;

/* si_errno of the signals mnrt sends a kernel thread to run a G's pending
 * one there ("mnrt"). */
#define MN_SIG_MARK 0x6d6e7274

/* The signals a program may block: all but SIGKILL, SIGSTOP, glibc's two
 * internal ones (32, 33) and the synchronous faults mnrt needs. As a mask
 * of bit sig-1. */
uint64_t mn_sig_blockable(void);
/* What a G's mask may hold: what the program's sigprocmask keeps
 * (shim/signal.c), the signals of faults among them. */
uint64_t mn_sig_maskable(void);

static inline uint64_t mn_sig_bits(const sigset_t *s)
{
    return *(const uint64_t *)s;
}

/* At boot: the program's handlers installed before it become mnrt's to
 * run. */
void mn_sig_boot(void);

/* True in the child of a vfork (or clone sharing memory) before it
 * execs: it shares mnrt's memory but not its kernel threads or signal
 * actions, so its signal calls are the kernel's as they are (gdb resets
 * its inferior's actions and mask there). */
bool mn_sig_foreign_process(void);

/* Across fork: the program's actions are held still (they live on in
 * the child). In the child, as the forking G: self is the only thread and
 * the process's main one; nothing is pending (the kernel's child starts
 * with no pending signal either), the union of masks is self's. */
void mn_sig_fork_lock(void);
void mn_sig_fork_unlock(void);
void mn_sig_fork_child(struct mn_g *self);

/* Whether the kernel's action for sig is one of mnrt's handlers standing
 * in for the program's default action, which kills: faults.c's for
 * SIGSEGV, the thread dump's for SIGQUIT, the execution trace's for
 * SIGINT, SIGTERM and SIGHUP while one is recorded. Each does its work
 * and then kills (the dump's through sysmon), from whichever thread the
 * kernel gave the signal (shim/kill.c). */
bool mn_sig_default_by_mnrt(int sig);

/* Whether the main G is alive and does not block sig (natively the
 * kernel gives a signal sent to the process to the main thread then). */
bool mn_sig_main_accepts(int sig);

/* If the main G blocks sig and waits for it in sigwait & co. (natively
 * the kernel then gives a signal sent to the process to the main thread,
 * which takes it in its wait), makes sig with info pending in the main G
 * as the process's, which ends that wait; returns whether it did. */
bool mn_sig_to_main_waiter(int sig, const siginfo_t *info);

/* Whether the program installed a signal handler (one that could wake a
 * thread: the deadlock check, deadlock.h); mnrt's own handlers, the
 * preemption signal's among them, do not count. */
bool mn_sig_program_handles_any(void);

/* The program's sigaction (not SIGSEGV's). */
int mn_sig_action(int sig, const struct sigaction *act, struct sigaction *old);

/* The kernel's action for every handled program signal (see above). */
void mn_sig_from_kernel(int sig, siginfo_t *info, void *uc);

/* Makes sig pending in g: sent to g (pthread_kill, pthread_sigqueue, one
 * the kernel aimed at its thread), or from_process (the process's, routed
 * to g), which Linux keeps apart: a standard signal may be pending once
 * of each kind, the thread's running first. Normal context only. Returns
 * 0, ESRCH if g has ended, EAGAIN if it has too many queued. */
int mn_sig_send(struct mn_g *g, int sig, const siginfo_t *info, bool from_process);

/* The calling G sends itself sig, which it does not block (raise,
 * pthread_kill, pthread_sigqueue): to its kernel thread, so that the
 * handler runs before this returns, as natively. A G whose P sysmon took
 * while it slept where mnrt does not see switches first: on its kernel
 * thread the signal would only be noted until its next switch (and the
 * next of its number merged with it). Returns 0 or a positive errno. */
int mn_sig_send_self(int sig, const siginfo_t *info);

/* sysmon: routes what the inbox holds; recomputes its own mask when the
 * union of the Gs' masks changed. */
void mn_sig_forward(void);
/* sigpending: waits until every M that may have taken a signal only to
 * pass it on (one between Gs still has its last G's mask) has posted it
 * (sched_internal.h mn_await_signal_passers), then until sysmon has
 * followed the last change of the Gs' masks, and routed every signal it
 * took before and every one posted to it before (at most
 * SETTLE_MAX_NS, a bound against a sysmon that cannot go on, not a
 * timing: on a loaded machine sysmon may wait tens of milliseconds for a
 * CPU, and a 10 ms bound let sigpending miss signals beside 8 spinning
 * processes at one P). sysmon follows late: a kill of a signal the only G had
 * just blocked could land in sysmon, which passed it on while the G
 * looked, so sigpending missed it, the unblocking call returned before
 * its handler ran, and the next of it merged with it (stress-ng
 * --sigpending: 5% of 200,000 rounds). Free when sysmon has followed.
 * Unblocking does not wait (a round trip to sysmon made a block and
 * unblock pair 5x slower): without a sigpending between, such a signal's
 * handler may still run just after the unblocking call returns. */
#define SETTLE_MAX_NS 1000000000
void mn_sig_settle(void);

/* Whether mn_sig_forward has work (sysmon looks before it sleeps). */
bool mn_sig_forward_due(void);

/* sigwait & co. (shim/signal.c): the lowest of set pending in g (sent to
 * it, or the process's routed to it), taken with its info; 0 if none.
 * While g waits in the kernel for the signals in g->sigwait_set, one of
 * them made pending in g is also sent to its kernel thread, marked, which
 * ends that wait (the kernel knows nothing of g's). */
int mn_sig_take_awaited(struct mn_g *g, const sigset_t *set, siginfo_t *info);

/* The process's signals pending in mnrt (sigpending). */
uint64_t mn_sig_process_pending(void);

/* The calling G runs its pending signals that it does not block. */
void mn_sig_deliver_pending(void);
static inline bool mn_sig_deliverable(uint64_t pend, const sigset_t *mask)
{
    return (pend & ~mn_sig_bits(mask)) != 0;
}

/* Masks (shim/signal.c): a G's mask changes to *mask (counts for the
 * union); a G starts or ends with its mask. */
void mn_sig_mask_changed(struct mn_g *g, const sigset_t *mask);
void mn_sig_g_started(struct mn_g *g);
void mn_sig_g_ended(struct mn_g *g);
/* A G's memory goes away (core/gblock.h): gives back its pending-signal
 * tables, which it keeps across reuse. */
void mn_sig_g_free(struct mn_g *g);

/* The kernel mask of an M going to sleep without a G: every program
 * signal, or, while there is no sysmon (no thread made yet, no I/O
 * waited for, no handler installed), the signals no G accepts, as
 * sysmon's: a thread that only sleeps (sleep(3)) would otherwise leave
 * no kernel thread for SIGTERM or SIGINT to kill the process on, until
 * it woke. */
uint64_t mn_sig_idle_mask(void);
/* Around the creation of a kernel thread of mnrt's (an M, sysmon): it
 * starts with every program signal blocked, as it inherits the mask, so
 * that none lands on it before it knows what it is. Also around vfork
 * (shim/vfork.c). Returns the caller's mask, for
 * mn_sig_unblock_after_start. */
uint64_t mn_sig_block_for_start(void);
void mn_sig_unblock_after_start(uint64_t mask);

/* pthread_cancel (deferred; shim/cancel.c): whether g's cancellation is
 * requested and enabled; mn_sig_cancel requests it and ends g's wait if
 * it is parked in a cancellation point (the wait ends with EINTR, and the
 * call's mn_sig_should_fail unwinds it). */
bool mn_sig_cancel_requested(struct mn_g *g);
void mn_sig_cancel(struct mn_g *g);

/* The reason of a wait whose only end is a signal (sigsuspend, pause):
 * the deadlock check does not take it for a deadlock (deadlock.h). */
extern const char mn_sig_suspend_reason[];

/* Interruptible waits (waiter.c): the G registers w before it parks;
 * false if a signal is already deliverable (then it must not park: its
 * wait ends with EINTR, and the waiter runs the handlers then,
 * mn_sig_deliver_pending). Unregisters after. Waits nest: a handler that
 * runs after the G registered a wait and before it parked may wait
 * itself; when its wait ends the G's own is registered again, and ended
 * with EINTR at once if a signal it takes is pending by then. */
bool mn_sig_wait_begin(struct mn_waiter *w);
void mn_sig_wait_end(struct mn_waiter *w);

/* After a wait ended with EINTR: unwinds the G if it was cancelled (in a
 * cancellation point); else runs the handlers and says whether the call
 * fails with EINTR (restartable: it may restart if every handler that ran
 * had SA_RESTART). Clears the record for the next wait. */
bool mn_sig_should_fail(bool restartable);
/* The same without the cancellation (a wait that is no cancellation
 * point): runs the handlers, says whether the call fails. */
bool mn_sig_handlers_fail(bool restartable);

/* For core/faults.c: runs the program's handler a for a signal of faults
 * that the kernel delivered to this thread, in its bracket
 * (core/sigframes.h) and with the G's mask and its M's alternate stack
 * kept as for any handler, where the thread runs a G in the G's own code;
 * as it is elsewhere (a sent one that landed in mnrt's code or on g0). */
void mn_sig_run_fault_handler(int sig, const struct sigaction *a, siginfo_t *info, void *uc);

#endif
