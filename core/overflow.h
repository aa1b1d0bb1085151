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

/* Whether the program's action for SIGSEGV is the default (for
 * mn_sig_default_by_mnrt). */
bool mn_overflow_by_default(void);

/* Across fork: the program's SIGSEGV action is held still. */
void mn_overflow_fork_lock(void);
void mn_overflow_fork_unlock(void);

#endif
