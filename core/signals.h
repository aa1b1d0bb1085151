/* Signals the kernel delivers to the process, which mnrt's own handlers
 * did not take for themselves (a SIGURG that is no preemption request:
 * preempt.h), go to the program's handling here. */
#ifndef MN_CORE_SIGNALS_H
#define MN_CORE_SIGNALS_H

#include <signal.h>

void mn_sig_from_kernel(int sig, siginfo_t *info, void *uc);

#endif
