/* Shared by the shim's files that serve calls bound to a kernel thread
 * (bound.c, syscall.c, altstack.c): see bound.c. */
#ifndef MN_SHIM_BOUND_H
#define MN_SHIM_BOUND_H

#include "shim/pthread_impl.h"

#include <signal.h>

/* System call n made by the calling G after locking it to its M for good
 * (undone if the call fails); glibc's syscall() conventions. */
long mn_bound_syscall(long n, long a1, long a2, long a3, long a4, long a5);
/* The same around a call made otherwise: mn_bound_begin before it (its
 * result goes to mn_bound_end), mn_bound_end after it, with whether the
 * call changed the kernel thread. */
int mn_bound_begin(void);
void mn_bound_end(int began, bool changed);
/* Whether prctl(option, arg2, ...) changes the calling kernel thread. */
bool mn_prctl_binds(int option, unsigned long arg2);
/* Whether seccomp(op, flags, ...) filters the calling kernel thread only. */
bool mn_seccomp_binds(unsigned op, unsigned flags);
/* altstack.c: sigaltstack for the calling G; 0 or an errno value. */
int mn_g_sigaltstack(const stack_t *ss, stack_t *old);

#endif
