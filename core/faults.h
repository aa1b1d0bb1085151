/* The program's actions for the signals of faults, which the kernel sends
 * to the thread that caused them (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, SIGSYS), docs/design.md §11 and §16.
 *
 * - The program sees and sets its own action. Where that is a handler, the
 *   kernel's is mnrt's, with the program's mask and flags, which runs the
 *   program's handler in its bracket (core/sigframes.h): a handler on the
 *   M's alternate stack keeps its G on that M while it runs, even if it
 *   waits. A default or ignoring action goes to the kernel as it is.
 * - SIGSEGV always has mnrt's handler, on the alternate stack every M
 *   (and the main thread) installs (altstack.h), because a G that ran
 *   into its guard has no stack left: a fault in the guard region of a
 *   G's stack prints `mnrt: thread N overflowed its S-byte stack`, then
 *   the program's action is carried out, its handler or death by SIGSEGV
 *   as natively, also when the SIGSEGV was sent (raise, kill) rather than
 *   caused.
 * - An action is read by the handler without a lock: a change racing with
 *   a fault sees the old or the new one, as natively. */
#ifndef MN_CORE_FAULTS_H
#define MN_CORE_FAULTS_H

#include <signal.h>
#include <stdbool.h>

/* Whether sig is one of the signals of faults. */
bool mn_fault_signal(int sig);

/* At boot: SIGSEGV's handler, and mnrt's for the others the program
 * handles already; an action set before boot becomes the program's. */
void mn_faults_install(void);

/* sigaction(sig) for the program, sig a signal of faults (its sa_mask and
 * SA_NODEFER/SA_RESTART/SA_RESETHAND/SA_ONSTACK apply as natively).
 * Returns 0. */
int mn_fault_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/* Whether the program's action for SIGSEGV is the default (for
 * mn_sig_default_by_mnrt). */
bool mn_faults_segv_by_default(void);

/* Across fork: the program's actions are held still. */
void mn_faults_fork_lock(void);
void mn_faults_fork_unlock(void);

#endif
