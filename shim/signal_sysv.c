/* The older signal calls that glibc implements with its internal
 * sigaction and sigprocmask, which would go around mnrt's record of the
 * program's actions and masks (core/signals.h): made here from the
 * interposed ones instead, with glibc's semantics. */
#include "shim/pthread_impl.h"

#include <signal.h>

MN_EXPORT int siginterrupt(int sig, int interrupt)
{
    struct sigaction a;
    if (sigaction(sig, NULL, &a) < 0)
        return -1;
    if (interrupt)
        a.sa_flags &= ~SA_RESTART;
    else
        a.sa_flags |= SA_RESTART;
    return sigaction(sig, &a, NULL);
}

static int mask_one(int how, int sig)
{
    sigset_t s;
    sigemptyset(&s);
    if (sigaddset(&s, sig) < 0)
        return -1;
    return sigprocmask(how, &s, NULL);
}

MN_EXPORT int sighold(int sig)
{
    return mask_one(SIG_BLOCK, sig);
}

MN_EXPORT int sigrelse(int sig)
{
    return mask_one(SIG_UNBLOCK, sig);
}

MN_EXPORT int sigignore(int sig)
{
    struct sigaction a = {.sa_handler = SIG_IGN};
    return sigaction(sig, &a, NULL);
}

/* System V's sigset: SIG_HOLD adds sig to the mask and leaves the action;
 * otherwise the action is set and sig leaves the mask. Returns SIG_HOLD if
 * sig was blocked, else the old action. */
MN_EXPORT sighandler_t sigset(int sig, sighandler_t disp)
{
    sigset_t s, old;
    sigemptyset(&s);
    if (sigaddset(&s, sig) < 0)
        return SIG_ERR;
    struct sigaction a = {.sa_handler = disp}, olda;
    if (disp == SIG_HOLD) {
        if (sigaction(sig, NULL, &olda) < 0 || sigprocmask(SIG_BLOCK, &s, &old) < 0)
            return SIG_ERR;
    } else if (sigaction(sig, &a, &olda) < 0 || sigprocmask(SIG_UNBLOCK, &s, &old) < 0) {
        return SIG_ERR;
    }
    return sigismember(&old, sig) ? SIG_HOLD : olda.sa_handler;
}
