/* Calls that change the kernel thread that makes them (docs/design.md §5,
 * locked Gs): namespaces (setns,
 * unshare), CPU affinity of the caller, per-thread prctls, capabilities,
 * personality, a seccomp filter for one thread, ptrace. Under M:N that kernel
 * thread goes on to run other Gs, which would inherit the change. So, as
 * Go's LockOSThread, a G that makes such a call is locked to its M for
 * good first (core: mn_lock_thread): the M runs nothing else, and it ends
 * with the G (its state cannot be trusted by others). A call that fails
 * changed nothing and leaves the G as it was. In a process that is one
 * kernel thread (no thread made yet, no sysmon), the call is made as it
 * is: what it changes belongs to the whole process, and every thread and
 * M made later inherits it, as native threads do; unshare(CLONE_NEWUSER)
 * and setns into a user namespace even require that.
 *
 * prctl(PR_SET_NAME/PR_GET_NAME) is not one of them: like
 * pthread_setname_np it names the program thread, not the kernel thread,
 * so that servers that name each worker keep M:N.
 *
 * mnrt_lock_thread/mnrt_unlock_thread (mnrt.h) lock and unlock a thread
 * on request, for programs that know about mnrt; they nest. */
#include "shim/bound.h"

#include "shim/mnrt.h"
#include "shim/sys.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>

#include "compat/backfill.h" /* after the system headers */

/* The process has just one kernel thread (io_uring workers count too: the
 * kernel counts them). */
static bool single_kernel_thread(void)
{
    char buf[2048];
    int fd = (int)MN_SYS(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    long n = MN_SYS(SYS_read, fd, buf, sizeof buf - 1);
    MN_SYS(SYS_close, fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    const char *t = strstr(buf, "\nThreads:");
    return t && strtol(t + 9, NULL, 10) == 1;
}

/* Whether the caller must be locked before making a bound call. */
static bool must_lock(void)
{
    return !mn_native() && mn_getg() && !single_kernel_thread();
}

int mn_bound_begin(void)
{
    if (!must_lock())
        return 0;
    /* new Ms are made by sysmon from now on (core/sched.c): it must be a
     * kernel thread made before this one changes */
    mn_monitor_ensure();
    bool was_bound = mn_thread_bound();
    mn_lock_thread(true);
    return was_bound ? 1 : 2;
}

void mn_bound_end(int began, bool changed)
{
    if (began == 2 && !changed) {
        int err = errno;
        mn_unlock_thread(true);
        errno = err;
    }
}

long mn_bound_syscall(long n, long a1, long a2, long a3, long a4, long a5)
{
    int began = mn_bound_begin();
    long r = MN_SYS(n, a1, a2, a3, a4, a5);
    mn_bound_end(began, r >= 0);
    return r;
}

bool mn_prctl_binds(int option, unsigned long arg2)
{
    switch (option) {
    case PR_SET_PDEATHSIG:
    case PR_SET_NO_NEW_PRIVS:
    case PR_SET_SECCOMP:
    case PR_SET_KEEPCAPS:
    case PR_CAPBSET_DROP:
    case PR_SET_SECUREBITS:
    case PR_SET_TIMERSLACK:
    case PR_SET_TSC:
    case PR_MCE_KILL:
    case PR_SET_FP_MODE:
    case PR_SET_IO_FLUSHER:
    case PR_SET_SPECULATION_CTRL:
    case PR_SET_SYSCALL_USER_DISPATCH:
        return true;
    case PR_CAP_AMBIENT:
        return arg2 != PR_CAP_AMBIENT_IS_SET;
    default:
        return false;
    }
}

bool mn_seccomp_binds(unsigned op, unsigned flags)
{
    return op == SECCOMP_SET_MODE_STRICT ||
           (op == SECCOMP_SET_MODE_FILTER && !(flags & SECCOMP_FILTER_FLAG_TSYNC));
}

/* PR_SET_NAME / PR_GET_NAME for a G: its name, as pthread_setname_np
 * (the kernel's cuts a longer name to 15 bytes). */
static int g_name(int option, char *name)
{
    char buf[16];
    if (option == PR_GET_NAME) {
        int err = pthread_getname_np(pthread_self(), name, sizeof buf);
        if (err)
            errno = err;
        return err ? -1 : 0;
    }
    strncpy(buf, name, sizeof buf - 1);
    buf[sizeof buf - 1] = 0;
    int err = pthread_setname_np(pthread_self(), buf);
    if (err)
        errno = err;
    return err ? -1 : 0;
}

MN_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long),
                  a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (mn_getg() && (option == PR_SET_NAME || option == PR_GET_NAME))
        return g_name(option, (char *)a2);
    if (mn_getg() && mn_prctl_binds(option, a2))
        return (int)mn_bound_syscall(SYS_prctl, option, (long)a2, (long)a3, (long)a4, (long)a5);
    return (int)MN_SYS(SYS_prctl, option, a2, a3, a4, a5);
}

#define BOUND(ret, name, proto, ...)                                                   \
    MN_EXPORT ret name proto                                                           \
    {                                                                                  \
        return (ret)mn_bound_syscall(SYS_##name, __VA_ARGS__, 0, 0, 0);                \
    }

BOUND(int, setns, (int fd, int nstype), fd, nstype)
BOUND(int, unshare, (int flags), flags, 0)
/* personality(0xffffffff) only asks */
MN_EXPORT int personality(unsigned long persona)
{
    if (persona == 0xffffffff)
        return (int)MN_SYS(SYS_personality, persona);
    return (int)mn_bound_syscall(SYS_personality, (long)persona, 0, 0, 0, 0);
}
BOUND(int, capset, (void *hdr, const void *data), (long)hdr, (long)data)

/* The caller's own affinity (pid 0, or its kernel thread's tid). */
MN_EXPORT int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set)
{
    if (mn_getg() && (pid == 0 || pid == (pid_t)MN_SYS(SYS_gettid)))
        return (int)mn_bound_syscall(SYS_sched_setaffinity, 0, (long)size, (long)set, 0, 0);
    return (int)MN_SYS(SYS_sched_setaffinity, pid, size, set);
}

/* A tracer is a kernel thread: every request must come from the one that
 * attached (or forked the tracee: a G that forks and then traces should
 * lock itself first, as Go's tracers do). */
MN_EXPORT long ptrace(enum __ptrace_request request, ...)
{
    va_list ap;
    va_start(ap, request);
    pid_t pid = va_arg(ap, pid_t);
    void *addr = va_arg(ap, void *), *data = va_arg(ap, void *);
    va_end(ap);
    if (request != PTRACE_TRACEME && must_lock()) {
        mn_monitor_ensure(); /* as mn_bound_syscall: new Ms come from sysmon */
        mn_lock_thread(true);
    }
    return mn_real.ptrace(request, pid, addr, data);
}

MN_EXPORT int mnrt_lock_thread(void)
{
    mn_lock_thread(false);
    return 0;
}

MN_EXPORT int mnrt_unlock_thread(void)
{
    mn_unlock_thread(false);
    return 0;
}
