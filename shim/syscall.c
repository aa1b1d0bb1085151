/* syscall(): a program (or a library: libseccomp, libcap, Rust's std) that
 * makes a system call by number still gets mnrt's treatment where it
 * matters for a G: the calls bound to a kernel thread (bound.c) lock the
 * G to its M first, and sigaltstack is the G's (altstack.c). Everything
 * else goes to the kernel as glibc's syscall() sends it. */
#include "shim/bound.h"

#include "shim/sys.h"

#include <stdarg.h>
#include <sys/prctl.h>

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

MN_EXPORT long syscall(long n, ...)
{
    va_list ap;
    va_start(ap, n);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (mn_getg()) {
        bool done;
        long r = g_syscall(n, a, &done);
        if (done)
            return r;
    }
    return MN_SYS(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
