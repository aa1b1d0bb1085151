/* sigaction and signal for SIGSEGV, which mnrt handles itself (stack
 * overflow reports, core/overflow.h): the program sees and sets its own
 * action, carried out by mnrt's handler. Rust's runtime, for one, installs
 * its overflow handler only where it finds SIG_DFL. Other signals, and
 * every call while mnrt runs natively, are glibc's. */
#include "shim/pthread_impl.h"

#include "core/overflow.h"

#include <signal.h>
#include <string.h>

MN_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sig != SIGSEGV || mn_native())
        return mn_real.sigaction(sig, act, old);
    return mn_overflow_sigaction(act, old);
}

/* glibc's signal(): BSD semantics (SA_RESTART, handler kept). */
static sighandler_t set_handler(int sig, sighandler_t handler, int flags)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (!(flags & SA_NODEFER))
        sigaddset(&sa.sa_mask, sig);
    if (sigaction(sig, &sa, &old) != 0)
        return SIG_ERR;
    return old.sa_handler;
}

MN_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
    if (sig != SIGSEGV || mn_native())
        return mn_real.signal(sig, handler);
    return set_handler(sig, handler, SA_RESTART);
}

MN_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler)
{
    return signal(sig, handler);
}

MN_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler)
{
    if (sig != SIGSEGV || mn_native())
        return mn_real.sysv_signal(sig, handler);
    return set_handler(sig, handler, SA_RESETHAND | SA_NODEFER);
}
