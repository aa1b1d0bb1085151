/* mnrt's own versions of the glibc functions newer than the oldest glibc
 * it runs on (real.h, MN_REAL_OPTIONAL): what glibc's do, for a glibc
 * that has none. */
#ifndef MN_COMPAT_REAL_FALLBACK_H
#define MN_COMPAT_REAL_FALLBACK_H

#include <pthread.h>
#include <signal.h>

/* glibc 2.32: attributes had no signal mask before; returns
 * PTHREAD_ATTR_NO_SIGMASK_NP. */
int mn_fallback_pthread_attr_getsigmask_np(const pthread_attr_t *attr, sigset_t *mask);
/* glibc 2.34: the system calls (Linux 5.9), errno set as glibc's. */
int mn_fallback_close_range(unsigned lo, unsigned hi, int flags);
void mn_fallback_closefrom(int lowfd);

#endif
