/* kill, killpg and sigqueue, and the same calls made by number through
 * syscall() (kill.h).
 *
 * Natively a signal whose default action kills, sent by a thread to its
 * own process, goes to the main thread when it does not block it (the
 * kernel prefers it), which dies of it before it can do anything else.
 * Where mnrt's handler stands in for that default (core/signals.h
 * mn_sig_default_by_mnrt: SIGSEGV, SIGQUIT, and the trace's), the kernel
 * runs it on whichever thread it chose, while the main G, on another,
 * could exit with status 0 first (sent_to_own_process: 5 of 100 children
 * for SIGSEGV, nearly all for SIGQUIT). So while the main G accepts such a
 * signal, one sent to this process is directed to the sender's own kernel
 * thread, with the info the process would get: mnrt's handler runs there
 * before the call returns (the sender's G stands in for the main thread,
 * whose kernel thread under mnrt may be any). SIGSEGV's and the trace's
 * handlers kill there and then; SIGQUIT's asks sysmon for the thread
 * dump, and the sender waits for the death that follows it (core/dump.h).
 * Sent to a process group, the call reaches the others, and this process
 * a second time (mnrt's handlers act once). A main G that blocks such a
 * signal and waits for it in sigwait gets it, as the main thread would
 * natively in its wait: made pending in it, which ends the wait (the
 * kernel could give it to any kernel thread that accepts it, the
 * sender's among them, and the handler acted there: the dump killed 1-54
 * of 100 children in awaited_by_main). Not yet when sent to a process
 * group: its call reaches this process too, and that copy goes where
 * the kernel chooses (docs/design.md §11). A main G that blocks it
 * otherwise, a sender that blocks it, or an info the kernel would refuse
 * from this thread leave the plain call, as does every other signal and
 * target, as glibc's wrappers make it. (raise and pthread_kill are
 * shim/signal.c's: a signal to one G.) */
#include "shim/kill.h"

#include "core/dump.h"
#include "core/signals.h"
#include "shim/pthread_impl.h"
#include "shim/sys.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Whether kill's pid reaches this process: its pid, its process group (0
 * or minus the group), but not -1, which Linux never sends to the caller. */
static bool reaches_this_process(pid_t target, pid_t pid)
{
    return target == pid || target == 0 ||
           (target < -1 && -target == (pid_t)mn_raw_syscall(SYS_getpgid, 0));
}

/* Where sig sent to this process goes: see above. */
enum route { PLAIN, TO_SENDER, TO_MAIN_WAITER };

static enum route route_of(int sig)
{
    if (sig <= 0 || sig >= NSIG || mn_native() || !mn_sig_default_by_mnrt(sig) ||
        mn_sig_foreign_process())
        return PLAIN;
    if (!mn_sig_main_accepts(sig))
        return TO_MAIN_WAITER; /* if it waits for it, when sent (mn_sig_to_main_waiter) */
    mn_g *g = mn_getg();
    sigset_t mask;
    if (g)
        mask = g->sigmask;
    else if (mn_real.sigprocmask(SIG_BLOCK, NULL, &mask) != 0)
        return PLAIN;
    return sigismember(&mask, sig) ? PLAIN : TO_SENDER;
}

/* nr is SYS_kill (target, sig) or SYS_rt_sigqueueinfo (target, sig,
 * info); returns the kernel's result (-errno on failure). */
static long send_signal(long nr, pid_t target, int sig, const siginfo_t *info)
{
    long info_arg = nr == SYS_kill ? 0 : (long)info;
    pid_t pid = 0;
    enum route route = route_of(sig);
    if (route == PLAIN || !reaches_this_process(target, pid = (pid_t)mn_raw_syscall(SYS_getpid)) ||
        (route == TO_MAIN_WAITER && target != pid)) /* a group's call reaches this process too */
        return mn_raw_syscall(nr, target, sig, info_arg);
    siginfo_t kill_info; /* what kill's signal carries */
    if (nr == SYS_kill) {
        memset(&kill_info, 0, sizeof kill_info);
        kill_info.si_signo = sig;
        kill_info.si_code = SI_USER;
        kill_info.si_pid = pid;
        kill_info.si_uid = (uid_t)mn_raw_syscall(SYS_getuid);
        info = &kill_info;
    } else if (!info || info->si_code >= 0 || info->si_code == SI_TKILL) {
        /* the kernel takes such an info from the main thread only: its answer */
        return mn_raw_syscall(nr, target, sig, info_arg);
    }
    if (target != pid) { /* a process group (TO_SENDER): the others' */
        long r = mn_raw_syscall(nr, target, sig, info_arg);
        if (r < 0)
            return r;
    }
    if (route == TO_MAIN_WAITER)
        return mn_sig_to_main_waiter(sig, info) ? 0 : mn_raw_syscall(nr, pid, sig, info_arg);
    long r = mn_raw_syscall(SYS_rt_tgsigqueueinfo, pid, mn_raw_syscall(SYS_gettid), sig, info);
    if (r == 0 && sig == SIGQUIT)
        mn_dump_await_death();
    return r;
}

static int result_of(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (int)r;
}

/* The kernel takes the pid and signal as ints (a negative int reaches
 * syscall() as a long that may not be). */
bool mn_kill_syscall(long n, const long a[6], long *result)
{
    if (n != SYS_kill && n != SYS_rt_sigqueueinfo)
        return false;
    *result = result_of(send_signal(n, (pid_t)a[0], (int)a[1], (const siginfo_t *)a[2]));
    return true;
}

MN_EXPORT int kill(pid_t pid, int sig)
{
    return result_of(send_signal(SYS_kill, pid, sig, NULL));
}

MN_EXPORT int killpg(pid_t pgrp, int sig)
{
    if (pgrp < 0) {
        errno = EINVAL;
        return -1;
    }
    return kill(-pgrp, sig);
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
    return result_of(send_signal(SYS_rt_sigqueueinfo, pid, sig, &info));
}
