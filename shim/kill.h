/* The system calls that send a signal to a process (kill,
 * rt_sigqueueinfo), made by number through kill.c's rule: see kill.c. */
#ifndef MN_SHIM_KILL_H
#define MN_SHIM_KILL_H

#include <stdbool.h>

/* For syscall(): whether n is one of those calls; if so *result is what
 * syscall() returns for it (-1 with errno on failure). */
bool mn_kill_syscall(long n, const long a[6], long *result);

#endif
