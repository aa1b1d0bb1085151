/* Stack overflow reports (DESIGN.md §10): a SIGSEGV in the guard region of
 * a G's stack prints `mnrt: thread N overflowed its S-byte stack`, then the
 * program dies of SIGSEGV as it would natively, also when the SIGSEGV was
 * sent (raise, kill) rather than caused. The handler runs on an
 * alternate signal stack that every M (and the main thread) installs
 * (altstack.h), because the faulting G's own stack has no room left. */
#ifndef MN_CORE_OVERFLOW_H
#define MN_CORE_OVERFLOW_H

/* Installs the handler (once, at boot), unless the program already has
 * one for SIGSEGV: then the program's runs, as it would natively. */
void mn_overflow_install(void);

#endif
