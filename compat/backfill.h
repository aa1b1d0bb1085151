/* Constants and declarations newer than the oldest headers mnrt builds
 * with (Debian 11: glibc 2.31, Linux 5.10): each is given here only where
 * the headers lack it. They are ABI (the kernel's system calls and flags,
 * glibc's exported functions) and never change; whether the running
 * kernel or glibc has them is found out when they are used. Include it
 * after the system headers that define them. */
#ifndef MN_COMPAT_BACKFILL_H
#define MN_COMPAT_BACKFILL_H

#include <sys/syscall.h>

/* Linux 5.9 */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
/* Linux 5.11 */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
/* Linux 5.14 */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
/* Linux 6.13 */
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

/* glibc 2.32 */
#ifndef PTHREAD_ATTR_NO_SIGMASK_NP
#define PTHREAD_ATTR_NO_SIGMASK_NP (-1)
#endif
/* glibc 2.35: declared by <sys/epoll.h> since */
#if !__GLIBC_PREREQ(2, 35)
#include <signal.h>
struct epoll_event;
struct timespec;
int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
                 const struct timespec *timeout, const sigset_t *sigmask);
#endif
/* glibc 2.34: declared by <unistd.h> since */
#if !__GLIBC_PREREQ(2, 34)
#include <sys/types.h>
int close_range(unsigned lo, unsigned hi, int flags);
void closefrom(int lowfd);
pid_t _Fork(void);
#endif

#endif
