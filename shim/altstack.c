/* sigaltstack for Gs (core/altstack.h): the program's alternate signal
 * stack is recorded in the G, never given to the kernel, since the kernel
 * thread under the G runs other Gs too; handlers that ask for SA_ONSTACK
 * run on the M's own alternate stack, which is at least as large. The
 * answers are the kernel's: the old stack as recorded, SS_ONSTACK while a
 * handler runs on an alternate stack (and then EPERM for a change),
 * EINVAL for bad flags, ENOMEM for a stack below MINSIGSTKSZ. Threads
 * that are not Gs use the kernel's as they are. */
#include "shim/bound.h"

#include "core/altstack.h"
#include "shim/sys.h"

#include <signal.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31) /* linux/signal.h */
#endif

/* The answer of sigaltstack for the calling G; 0 or an errno value. */
int mn_g_sigaltstack(const stack_t *new_ss, stack_t *old)
{
    mn_g *g = mn_getg();
    stack_t copy; /* ss and old may be the same struct: the kernel reads first */
    const stack_t *ss = new_ss ? (copy = *new_ss, &copy) : NULL;
    stack_t now;
    bool on = MN_SYS(SYS_sigaltstack, NULL, &now) == 0 && (now.ss_flags & SS_ONSTACK);
    if (ss) {
        int mode = ss->ss_flags & ~(int)SS_AUTODISARM;
        if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
            return EINVAL;
        if (on)
            return EPERM;
        if (mode != SS_DISABLE && ss->ss_size < (size_t)MINSIGSTKSZ)
            return ENOMEM;
    }
    if (old) {
        *old = g->altstack;
        if (on)
            old->ss_flags = SS_ONSTACK;
    }
    if (ss) {
        g->altstack = *ss;
        if (ss->ss_flags & SS_DISABLE)
            g->altstack = (stack_t){.ss_flags = SS_DISABLE};
        else
            g->altstack.ss_flags &= (int)SS_AUTODISARM;
        if (!(g->altstack.ss_flags & SS_DISABLE) && g->altstack.ss_size > g->m->altstack_size)
            mn_altstack_fit(g->m, g->altstack.ss_size);
    }
    return 0;
}

MN_EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
    if (!mn_getg())
        return (int)MN_SYS(SYS_sigaltstack, ss, old);
    int err = mn_g_sigaltstack(ss, old);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
