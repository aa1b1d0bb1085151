/* kill, killpg, sigqueue and tgkill, and the same calls made by number
 * through syscall() (kill.h).
 *
 * Natively a signal whose default action kills, sent by a thread to its
 * own process, goes to the main thread (the kernel prefers it), which
 * dies of it before it can do anything else. Where mnrt's handler stands
 * in for that default (core/signals.h mn_sig_default_by_mnrt: SIGSEGV,
 * SIGQUIT, and the trace's), the kernel runs it on whichever thread it
 * chose, while the main G, on another, could exit with status 0 first
 * (segv_sent_to_process: 5 of 100 children; a SIGQUIT: every time). So
 * such a signal sent to this process is directed to the sender's own
 * kernel thread, with the info the process would get: mnrt's handler
 * runs there before the call returns, as the main thread's death would
 * natively (the sender's G stands in for it: the main G's kernel thread
 * may be any). Sent to a process group, the others get theirs by the
 * call. A sender that blocks the signal leaves it to the process, as the
 * call would. Every other signal and target is the kernel's plain call,
 * as glibc's wrappers make it. (raise and pthread_kill are
 * shim/signal.c's: a signal to one G.) */
#include "shim/kill.h"

#include "core/signals.h"
#include "shim/pthread_impl.h"
#include "shim/sys.h"

#include <signal.h>
#include <stdint.h>
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

static bool blocked_here(long sig)
{
    uint64_t mask;
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, sizeof mask);
    return mask & (1ull << (sig - 1));
}

static long send_signal(long nr, const long a[4])
{
    long sig = signal_of(nr, a), pid;
    if ((nr != SYS_kill && nr != SYS_rt_sigqueueinfo) || sig <= 0 || sig >= NSIG ||
        mn_native() || mn_sig_foreign_process() ||
        !reaches_this_process(nr, a, pid = mn_raw_syscall(SYS_getpid)) ||
        !mn_sig_default_by_mnrt((int)sig) || blocked_here(sig))
        return mn_raw_syscall(nr, a[0], a[1], a[2], a[3]);
    siginfo_t kill_info; /* what kill's signal carries */
    const siginfo_t *info = (const siginfo_t *)a[2];
    if (nr == SYS_kill) {
        memset(&kill_info, 0, sizeof kill_info);
        kill_info.si_signo = (int)sig;
        kill_info.si_code = SI_USER;
        kill_info.si_pid = (pid_t)pid;
        kill_info.si_uid = (uid_t)mn_raw_syscall(SYS_getuid);
        info = &kill_info;
    }
    if (a[0] != pid) { /* a process group: the others' */
        long r = mn_raw_syscall(nr, a[0], a[1], a[2], a[3]);
        if (r < 0)
            return r;
    }
    return mn_raw_syscall(SYS_rt_tgsigqueueinfo, pid, mn_raw_syscall(SYS_gettid), sig, info);
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
