/* sigaction and signal: the program sees and sets its own actions, which
 * mnrt carries out (core/signals.h: a handler runs on the thread that the
 * signal is for, not on whichever kernel thread the kernel chose;
 * core/faults.h for the signals of faults, whose handlers run in the
 * thread that caused them, SIGSEGV's after a stack overflow report).
 * While mnrt runs natively, every call is glibc's. */
#include "shim/pthread_impl.h"

#include "core/faults.h"
#include "core/signals.h"

#include <signal.h>
#include <string.h>

MN_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (mn_native())
        return mn_real.sigaction(sig, act, old);
    if (mn_fault_signal(sig) && !mn_sig_foreign_process()) /* (a CLONE_VM child: its own) */
        return mn_fault_sigaction(sig, act, old);
    return mn_sig_action(sig, act, old);
}

/* glibc's signal(): BSD semantics (SA_RESTART, handler kept). */
static sighandler_t set_handler(int sig, sighandler_t handler, int flags)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (!(flags & SA_NODEFER) && sig > 0 && sig < NSIG)
        sigaddset(&sa.sa_mask, sig);
    if (sigaction(sig, &sa, &old) != 0)
        return SIG_ERR;
    return old.sa_handler;
}

MN_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
    if (mn_native())
        return mn_real.signal(sig, handler);
    return set_handler(sig, handler, SA_RESTART);
}

MN_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler)
{
    return signal(sig, handler);
}

MN_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler)
{
    if (mn_native())
        return mn_real.sysv_signal(sig, handler);
    return set_handler(sig, handler, SA_RESETHAND | SA_NODEFER);
}
