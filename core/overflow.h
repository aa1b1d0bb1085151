/* Stack overflow reports (docs/design.md §16): a SIGSEGV in the guard region of
 * a G's stack prints `mnrt: thread N overflowed its S-byte stack`, then the
 * program's own SIGSEGV action is carried out: its handler, or death by
 * SIGSEGV as natively, also when the SIGSEGV was sent (raise, kill)
 * rather than caused. The handler runs on an
 * alternate signal stack that every M (and the main thread) installs
 * (altstack.h), because the faulting G's own stack has no room left. */
#ifndef MN_CORE_OVERFLOW_H
#define MN_CORE_OVERFLOW_H

#include <signal.h>
#include <stdbool.h>

/* Installs the handler (once, at boot); an action the program set for
 * SIGSEGV before becomes the program's (below). */
void mn_overflow_install(void);

/* sigaction(SIGSEGV) for the program: the program sees and sets its own
 * action, which mnrt's handler carries out after its report (so a
 * program's handler, Rust's overflow report say, runs as natively, and
 * its sa_mask and SA_NODEFER/SA_RESTART/SA_RESETHAND apply). Returns 0. */
int mn_overflow_sigaction(const struct sigaction *act, struct sigaction *old);

/* Sends SIGSEGV by the raw system call nr (kill, tgkill, tkill,
 * rt_sigqueueinfo, rt_tgsigqueueinfo; a its arguments) to a target that
 * includes this process, and returns the kernel's result (-errno on
 * failure). info is the siginfo this process is to receive from a call
 * directed to the process (NULL for one directed to a thread); alone
 * says this process is the call's only target (not a process group).
 *
 * Natively a SIGSEGV left at its default action that a thread sends to
 * its process goes to the main thread, which dies of it, and takes the
 * others with it, before it can do anything else. mnrt's handler in the
 * kernel's place would run on whichever thread the kernel chose, while
 * the main G, on another, could exit with status 0 first. So while the
 * program's action is the default: the kernel's is made the default
 * too, and the sender itself receives info, directed to its own kernel
 * thread, which it takes on its way back from the call (where the target
 * is a process group, the others get theirs by the call). The sender's
 * G stands in for the main thread; one that blocks SIGSEGV leaves the
 * signal to the process, as the call would. The action is put back if
 * the send fails; a signal the kernel holds pending because every thread
 * blocks SIGSEGV leaves the default in place, losing only the overflow
 * report of a later fault. A concurrent sigaction(SIGSEGV) waits for the
 * send. */
long mn_overflow_send_to_process(long nr, const long a[4], const siginfo_t *info, bool alone);

/* Across fork: the program's SIGSEGV action is held still. */
void mn_overflow_fork_lock(void);
void mn_overflow_fork_unlock(void);

#endif
