/* Signals and threads, as far as mnrt serves them so far: per-G signal
 * masks (applied to the M while the G runs: core/sched.c apply_sigmask), and
 * pthread_kill(t, 0) answering whether t lives; a signal a G sends itself
 * goes to its kernel thread, so it arrives before the call returns, as
 * natively. Sending a signal to another G is not supported yet (README,
 * Not yet): it goes to the process. */
#include "shim/pthread_impl.h"

#include "compat/raw_syscall.h"
#include "core/kthread.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static mn_g *g_of(pthread_t t)
{
    return mn_native() ? NULL : mn_g_from_tcb((void *)t);
}

static bool alive(mn_g *g)
{
    uint32_t s = atomic_load(&g->status);
    return s != MN_G_IDLE && s != MN_G_DEAD;
}

MN_EXPORT int pthread_kill(pthread_t t, int sig)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_kill(t, sig);
    if (sig < 0 || sig >= NSIG)
        return EINVAL;
    if (!alive(g))
        return ESRCH;
    if (sig == 0)
        return 0;
    if (g == mn_getg()) /* to itself: its kernel thread, before the call returns */
        return -(int)mn_raw_syscall(SYS_tgkill, getpid(), mn_kthread_self(), sig);
    mn_warn_once("pthread_kill with a signal is not supported yet: signal %d goes to the "
                 "process instead", sig);
    return kill(getpid(), sig) == 0 ? 0 : errno;
}

MN_EXPORT int pthread_sigqueue(pthread_t t, int sig, const union sigval value)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_sigqueue(t, sig, value);
    if (sig < 0 || sig >= NSIG)
        return EINVAL;
    if (!alive(g))
        return ESRCH;
    if (sig == 0)
        return 0;
    if (g == mn_getg()) { /* to itself: its kernel thread, as glibc does */
        siginfo_t info = {.si_signo = sig, .si_code = SI_QUEUE, .si_value = value};
        info.si_pid = getpid();
        info.si_uid = getuid();
        return -(int)mn_raw_syscall(SYS_rt_tgsigqueueinfo, getpid(), mn_kthread_self(), sig,
                                    &info);
    }
    mn_warn_once("pthread_sigqueue is not supported yet: signal %d goes to the process", sig);
    return sigqueue(getpid(), sig, value) == 0 ? 0 : errno;
}

/* The new mask of a G; glibc never lets a program block its two internal
 * signals (32, 33), and the kernel ignores SIGKILL/SIGSTOP. */
static int g_sigmask(mn_g *g, int how, const sigset_t *set, sigset_t *old)
{
    sigset_t cur = g->sigmask;
    if (set) {
        sigset_t next = cur;
        switch (how) {
        case SIG_BLOCK:
            sigorset(&next, &cur, set);
            break;
        case SIG_UNBLOCK:
            for (int s = 1; s < NSIG; s++)
                if (sigismember(set, s))
                    sigdelset(&next, s);
            break;
        case SIG_SETMASK:
            next = *set;
            break;
        default:
            return EINVAL;
        }
        sigdelset(&next, SIGKILL);
        sigdelset(&next, SIGSTOP);
        sigdelset(&next, SIGRTMIN - 2);
        sigdelset(&next, SIGRTMIN - 1);
        g->sigmask = next;
        mn_real.sigprocmask(SIG_SETMASK, &next, NULL);
        g->m->sigmask = next;
    }
    if (old)
        *old = cur;
    return 0;
}

MN_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    mn_g *g = mn_getg();
    if (!g)
        return mn_real.pthread_sigmask(how, set, old);
    return g_sigmask(g, how, set, old);
}

MN_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    mn_g *g = mn_getg();
    if (!g)
        return mn_real.sigprocmask(how, set, old);
    int err = g_sigmask(g, how, set, old);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
