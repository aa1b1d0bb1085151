/* kill, killpg, sigqueue and tgkill, and the same calls made by number
 * through syscall() (kill.h). A SIGSEGV the program sends to a target that
 * includes its own process goes through core/overflow.h
 * (mn_overflow_send_to_process), so that it ends the process from the
 * send on, as natively; every other signal and target is the kernel's
 * plain call, as glibc's wrappers make it. (raise and pthread_kill are
 * shim/signal.c's: a signal to one G.) */
#include "shim/kill.h"

#include "core/overflow.h"
#include "core/signals.h"
#include "shim/pthread_impl.h"
#include "shim/sys.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool sends_signal(long nr)
{
    return nr == SYS_kill || nr == SYS_tkill || nr == SYS_tgkill || nr == SYS_rt_sigqueueinfo ||
           nr == SYS_rt_tgsigqueueinfo;
}

/* The signal number among the arguments of nr, one that sends_signal. */
static long signal_of(long nr, const long a[4])
{
    return nr == SYS_tgkill || nr == SYS_rt_tgsigqueueinfo ? a[2] : a[1];
}

/* Whether the call reaches this process: kill of its pid, of its process
 * group (0 or minus the group) but not of -1, which Linux never sends to
 * the caller; a thread of its own (a tkill target is asked of the kernel
 * with signal 0). */
static bool reaches_this_process(long nr, const long a[4], long pid)
{
    switch (nr) {
    case SYS_kill:
        return a[0] == pid || a[0] == 0 || (a[0] < -1 && -a[0] == mn_raw_syscall(SYS_getpgid, 0));
    case SYS_tkill:
        return mn_raw_syscall(SYS_tgkill, pid, a[0], 0) == 0;
    default: /* the thread group, or the process, comes first */
        return a[0] == pid;
    }
}

static long send_signal(long nr, const long a[4])
{
    long pid;
    if (signal_of(nr, a) != SIGSEGV || mn_native() || mn_sig_foreign_process() ||
        !reaches_this_process(nr, a, pid = mn_raw_syscall(SYS_getpid)))
        return mn_raw_syscall(nr, a[0], a[1], a[2], a[3]);
    if (nr == SYS_rt_sigqueueinfo)
        return mn_overflow_send_to_process(nr, a, (const siginfo_t *)a[2], true);
    if (nr != SYS_kill) /* to one thread */
        return mn_overflow_send_to_process(nr, a, NULL, true);
    siginfo_t info; /* what kill's signal carries */
    memset(&info, 0, sizeof info);
    info.si_signo = SIGSEGV;
    info.si_code = SI_USER;
    info.si_pid = (pid_t)pid;
    info.si_uid = (uid_t)mn_raw_syscall(SYS_getuid);
    return mn_overflow_send_to_process(nr, a, &info, a[0] == pid);
}

static int result_of(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}

bool mn_kill_syscall(long n, const long a[6], long *result)
{
    if (!sends_signal(n))
        return false;
    *result = result_of(send_signal(n, a));
    return true;
}

MN_EXPORT int kill(pid_t pid, int sig)
{
    return result_of(send_signal(SYS_kill, (long[4]){pid, sig}));
}

MN_EXPORT int killpg(pid_t pgrp, int sig)
{
    if (pgrp < 0) {
        errno = EINVAL;
        return -1;
    }
    return kill(-pgrp, sig);
}

MN_EXPORT int tgkill(pid_t tgid, pid_t tid, int sig)
{
    return result_of(send_signal(SYS_tgkill, (long[4]){tgid, tid, sig}));
}

/* as glibc's: the info of a queued signal from this process */
MN_EXPORT int sigqueue(pid_t pid, int sig, const union sigval value)
{
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = sig;
    info.si_code = SI_QUEUE;
    info.si_pid = (pid_t)mn_raw_syscall(SYS_getpid);
    info.si_uid = (uid_t)mn_raw_syscall(SYS_getuid);
    info.si_value = value;
    return result_of(send_signal(SYS_rt_sigqueueinfo, (long[4]){pid, sig, (long)&info}));
}
