/* syscall(): a program (or a library: libseccomp, libcap, Rust's std,
 * libstdc++) that makes a system call by number still gets mnrt's
 * treatment where it matters for a G: futex waits park and futex wakes
 * reach parked Gs (futex_syscall.c, for every thread; futex_waitv waits
 * are counted there as waits in the kernel); shared mappings made by
 * number are noticed as mmap's are (private_memory.c); the calls that can
 * wait on fds or time go through the same paths as their named wrappers;
 * the calls bound to a kernel thread (bound.c) lock the G to its M first,
 * sigaltstack is the G's (altstack.c), and the calls that send a signal
 * follow kill.c's rule. Everything else goes to the
 * kernel as glibc's syscall() sends it. */
#include "shim/bound.h"
#include "shim/kill.h"

#include "shim/sys.h"

#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#include "compat/backfill.h" /* after the system headers */

/* The calls that may wait, through their named wrappers (which set errno
 * and return -1 as syscall() does). */
static long by_name(long n, const long a[6], bool *done)
{
    *done = true;
    switch (n) {
    case SYS_read:
        return read((int)a[0], (void *)a[1], (size_t)a[2]);
    case SYS_write:
        return write((int)a[0], (const void *)a[1], (size_t)a[2]);
    case SYS_readv:
        return readv((int)a[0], (const struct iovec *)a[1], (int)a[2]);
    case SYS_writev:
        return writev((int)a[0], (const struct iovec *)a[1], (int)a[2]);
    case SYS_recvfrom:
        return recvfrom((int)a[0], (void *)a[1], (size_t)a[2], (int)a[3],
                        (struct sockaddr *)a[4], (socklen_t *)a[5]);
    case SYS_sendto:
        return sendto((int)a[0], (const void *)a[1], (size_t)a[2], (int)a[3],
                      (const struct sockaddr *)a[4], (socklen_t)a[5]);
    case SYS_recvmsg:
        return recvmsg((int)a[0], (struct msghdr *)a[1], (int)a[2]);
    case SYS_sendmsg:
        return sendmsg((int)a[0], (const struct msghdr *)a[1], (int)a[2]);
    case SYS_accept:
        return accept((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2]);
    case SYS_accept4:
        return accept4((int)a[0], (struct sockaddr *)a[1], (socklen_t *)a[2], (int)a[3]);
    case SYS_connect:
        return connect((int)a[0], (const struct sockaddr *)a[1], (socklen_t)a[2]);
    case SYS_poll:
        return poll((struct pollfd *)a[0], (nfds_t)a[1], (int)a[2]);
    case SYS_ppoll: /* a[4], the mask's size, is glibc's to pass */
        return ppoll((struct pollfd *)a[0], (nfds_t)a[1], (const struct timespec *)a[2],
                     (const sigset_t *)a[3]);
    case SYS_epoll_wait:
        return epoll_wait((int)a[0], (struct epoll_event *)a[1], (int)a[2], (int)a[3]);
    case SYS_epoll_pwait:
        return epoll_pwait((int)a[0], (struct epoll_event *)a[1], (int)a[2], (int)a[3],
                           (const sigset_t *)a[4]);
    case SYS_nanosleep:
        return nanosleep((const struct timespec *)a[0], (struct timespec *)a[1]);
    case SYS_clock_nanosleep: {
        int err = mn_clock_sleep((clockid_t)a[0], (int)a[1], (const struct timespec *)a[2],
                                  (struct timespec *)a[3]);
        if (err) {
            errno = err;
            return -1;
        }
        return 0;
    }
    case SYS_wait4:
        return wait4((pid_t)a[0], (int *)a[1], (int)a[2], (struct rusage *)a[3]);
    case SYS_close:
        return close((int)a[0]);
    case SYS_close_range: /* how programs call it where glibc has none (before 2.34) */
        return close_range((unsigned)a[0], (unsigned)a[1], (int)a[2]);
    }
    *done = false;
    return 0;
}

static long g_syscall(long n, const long a[6], bool *done)
{
    *done = true;
    switch (n) {
    case SYS_personality:
        if ((unsigned long)a[0] == 0xffffffff) /* only asks */
            break;
        return mn_bound_syscall(n, a[0], a[1], a[2], a[3], a[4]);
    case SYS_setns:
    case SYS_unshare:
    case SYS_capset:
        return mn_bound_syscall(n, a[0], a[1], a[2], a[3], a[4]);
    case SYS_sched_setaffinity:
        if (a[0] == 0 || a[0] == MN_SYS(SYS_gettid))
            return mn_bound_syscall(n, 0, a[1], a[2], 0, 0);
        break;
    case SYS_prctl:
        if (a[0] == PR_SET_NAME || a[0] == PR_GET_NAME)
            return prctl((int)a[0], a[1]);
        if (mn_prctl_binds((int)a[0], (unsigned long)a[1]))
            return mn_bound_syscall(n, a[0], a[1], a[2], a[3], a[4]);
        break;
    case SYS_seccomp:
        if (mn_seccomp_binds((unsigned)a[0], (unsigned)a[1]))
            return mn_bound_syscall(n, a[0], a[1], a[2], 0, 0);
        break;
    case SYS_sigaltstack: {
        int err = mn_g_sigaltstack((const stack_t *)a[0], (stack_t *)a[1]);
        if (err) {
            errno = err;
            return -1;
        }
        return 0;
    }
    }
    *done = false;
    return 0;
}

/* clone or clone3 of a process that does not share memory: as with
 * clone() (shim/fork.c), its child runs natively. */
static bool new_process(long n, const long a[6])
{
    if (n == SYS_clone)
        return !(a[0] & CLONE_VM);
    if (n == SYS_clone3)
        return a[0] && !(*(const uint64_t *)a[0] & CLONE_VM); /* clone_args.flags */
    return false;
}

MN_EXPORT long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (n == SYS_futex)
        return mn_futex_syscall(a);
    if (n == SYS_futex_waitv)
        return mn_futex_waitv_syscall(a);
    long sent;
    if (mn_kill_syscall(n, a, &sent))
        return sent;
    if (new_process(n, a)) { /* returns twice, as fork */
        long r = MN_SYS(n, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (r == 0)
            mn_fork_child_natively();
        return r;
    }
    if (mn_getg()) {
        bool done;
        long r = g_syscall(n, a, &done);
        if (!done)
            r = by_name(n, a, &done);
        if (done)
            return r;
    }
    long r = MN_SYS(n, a[0], a[1], a[2], a[3], a[4], a[5]);
    mn_memory_mapped(n, a, r);
    return r;
}
