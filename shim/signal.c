/* Signals and threads (core/signals.h has the model): per-G signal masks
 * (applied to the M while the G runs: core/sched.c apply_sigmask),
 * pthread_kill and pthread_sigqueue to any G, sigpending, and sigsuspend
 * and pause that park the G until a handler has run on it. A signal a G
 * sends itself (raise too) goes to its kernel thread, so it arrives before
 * the call returns, as natively (core/signals.h mn_sig_send_self); one it
 * blocks is made pending in the G. sigwait, sigwaitinfo and sigtimedwait
 * take a signal pending in the G first, then wait in the kernel (the
 * signals they wait for are blocked, so one sent to the process stays
 * pending there); signalfd is the kernel's alone. */
#include "shim/pthread_impl.h"

#include "core/preempt.h"
#include "core/signals.h"
#include "shim/sys.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static mn_g *g_of(pthread_t t)
{
    return mn_native() ? NULL : mn_g_from_tcb((void *)t);
}

/* glibc's own two signals are not the program's to send. */
static bool internal(int sig)
{
    return sig == SIGRTMIN - 2 || sig == SIGRTMIN - 1;
}

static int send_to_g(mn_g *g, int sig, siginfo_t *info)
{
    if (sig < 0 || sig >= NSIG || internal(sig))
        return EINVAL;
    if (!mn_g_alive(g))
        return ESRCH;
    if (sig == 0)
        return 0;
    info->si_signo = sig;
    info->si_pid = getpid();
    info->si_uid = getuid();
    /* to itself, unblocked: its kernel thread, before the call returns */
    if (g == mn_getg() && !sigismember(&g->sigmask, sig))
        return mn_sig_send_self(sig, info);
    return mn_sig_send(g, sig, info, false);
}

MN_EXPORT int pthread_kill(pthread_t t, int sig)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_kill(t, sig);
    siginfo_t info = {.si_code = SI_TKILL};
    return send_to_g(g, sig, &info);
}

/* glibc's raise sends to the calling kernel thread (tgkill of its gettid):
 * a G's signal, as pthread_kill to itself. */
MN_EXPORT int raise(int sig)
{
    int err = pthread_kill(pthread_self(), sig);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

MN_EXPORT int pthread_sigqueue(pthread_t t, int sig, const union sigval value)
{
    mn_g *g = g_of(t);
    if (!g)
        return mn_real.pthread_sigqueue(t, sig, value);
    siginfo_t info = {.si_code = SI_QUEUE, .si_value = value};
    return send_to_g(g, sig, &info);
}

/* The new mask of a G; glibc never lets a program block its two internal
 * signals (32, 33), and the kernel ignores SIGKILL/SIGSTOP. A signal
 * pending for the G that it unblocks runs before this returns. */
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
        sigset_t kernel = next; /* never the preemption signal (sched.c apply_sigmask) */
        *(uint64_t *)&kernel &= ~mn_preempt_sigbit;
        /* A signal pending in the kernel that this unblocks comes in as
         * the call returns; in the bracket, its handler runs then even if
         * sysmon took the P meanwhile (a kernel thread descheduled by a
         * loaded machine looks blocked where mnrt does not see): outside
         * it, g_here turned it away to sysmon's inbox, the unblocking call
         * returned before the handler ran, and the next of its number
         * merged with it (sigpending_after_kill beside 8 spinning
         * processes at one P). */
        bool unblocks = mn_sig_bits(&cur) & ~mn_sig_bits(&next);
        if (unblocks)
            mn_entersyscall();
        mn_real.sigprocmask(SIG_SETMASK, &kernel, NULL);
        if (unblocks)
            mn_exitsyscall();
        /* after: a handler that ran before the call sets it to the mask
         * that was the kernel's then */
        g->m->sigmask = kernel;
        /* after too: sysmon, which follows, must not take a signal pending
         * for the process that this call unblocks before this thread does */
        mn_sig_mask_changed(g, &next);
        if (mn_sig_deliverable(atomic_load(&g->sigpend), &next))
            mn_sig_deliver_pending();
    }
    if (old)
        *old = cur;
    return 0;
}

MN_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    mn_g *g = mn_getg();
    if (!g || mn_sig_foreign_process())
        return mn_real.pthread_sigmask(how, set, old);
    return g_sigmask(g, how, set, old);
}

MN_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    mn_g *g = mn_getg();
    if (!g || mn_sig_foreign_process())
        return mn_real.sigprocmask(how, set, old);
    int err = g_sigmask(g, how, set, old);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

/* sigwait, sigwaitinfo and sigtimedwait: a signal pending in the G (sent
 * to it while it blocked it, or the process's routed to it) is taken
 * first; else the kernel's wait, which a signal made pending in the G
 * meanwhile ends with mnrt's marked copy (core/signals.h), and the G then
 * takes the real one. */
static int g_sigtimedwait(mn_g *g, const sigset_t *set, siginfo_t *info,
                          const struct timespec *timeout)
{
    siginfo_t si;
    for (;;) {
        atomic_store(&g->sigwait_set, mn_sig_bits(set));
        int sig = mn_sig_take_awaited(g, set, &si);
        int r = sig ? sig : mn_real.sigtimedwait(set, &si, timeout);
        atomic_store(&g->sigwait_set, 0);
        if (r > 0 && si.si_errno == MN_SIG_MARK && !sig) {
            if ((sig = mn_sig_take_awaited(g, set, &si)))
                r = sig;
            else
                continue; /* a copy whose signal was taken already */
        }
        if (r > 0 && info)
            *info = si;
        return r;
    }
}

MN_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
    mn_g *g = mn_getg();
    if (!g || mn_sig_foreign_process())
        return mn_real.sigtimedwait(set, info, timeout);
    return g_sigtimedwait(g, set, info, timeout);
}

MN_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    return sigtimedwait(set, info, NULL);
}

MN_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    int r;
    do
        r = sigtimedwait(set, NULL, NULL);
    while (r < 0 && errno == EINTR); /* sigwait is not interrupted */
    if (r < 0)
        return errno;
    *sig = r;
    return 0;
}

MN_EXPORT int sigpending(sigset_t *set)
{
    mn_g *g = mn_getg();
    if (!g)
        return mn_real.sigpending(set);
    mn_sig_settle();
    if (mn_real.sigpending(set) != 0) /* the process's (and this kernel thread's) */
        return -1;
    uint64_t pend = atomic_load(&g->sigpend) | mn_sig_process_pending();
    for (int s = 1; s <= 64; s++)
        if (pend & (1ull << (s - 1)))
            sigaddset(set, s);
    return 0;
}

bool mn_call_mask_begin(const sigset_t *mask, sigset_t *old)
{
    mn_g *g = mn_getg();
    g->sig_ran = false;
    g_sigmask(g, SIG_SETMASK, mask, old);
    return g->sig_ran;
}

void mn_call_mask_end(const sigset_t *old)
{
    int err = errno;
    g_sigmask(mn_getg(), SIG_SETMASK, old, NULL);
    errno = err;
}

/* Parks the G with *mask until a handler has run on it: -1, EINTR. */
static int suspend(mn_g *g, const sigset_t *mask)
{
    mn_cancel_point();
    sigset_t old = g->sigmask;
    g->sig_ran = false;
    g_sigmask(g, SIG_SETMASK, mask, NULL); /* what is pending runs now */
    bool ran = g->sig_ran;
    while (!ran) {
        struct mn_waiter w;
        mn_waiter_init(&w, mn_sig_suspend_reason);
        w.intr = true;
        w.cancel_point = true;
        w.cancel = mn_waiter_cancel_once;
        mn_waiter_block(&w, -1);
        ran = mn_sig_should_fail(false);
    }
    g_sigmask(g, SIG_SETMASK, &old, NULL);
    errno = EINTR;
    return -1;
}

MN_EXPORT int sigsuspend(const sigset_t *mask)
{
    mn_g *g = mn_getg();
    if (!g)
        return mn_real.sigsuspend(mask);
    return suspend(g, mask);
}

MN_EXPORT int pause(void)
{
    mn_g *g = mn_getg();
    if (!g)
        return (int)MN_SYS_CANCELLABLE(SYS_pause);
    sigset_t mask = g->sigmask;
    return suspend(g, &mask);
}
