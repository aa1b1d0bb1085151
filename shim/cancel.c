/* pthread_cancel for Gs: deferred cancellation with glibc's own state and
 * unwinding. The request is glibc's CANCELED bit in the target's
 * descriptor (pthread_setcancelstate, pthread_setcanceltype and
 * pthread_testcancel are glibc's, on the G's own descriptor); a target
 * parked in a cancellation point (a waiting read, write, accept, connect,
 * recv, send, poll, select, epoll_wait, sleep, sem_wait, pthread_cond_wait,
 * pthread_join, sigsuspend, pause) is woken, and the call unwinds it with
 * glibc's pthread_testcancel: cleanup handlers of both forms and C++
 * destructors run, catch (...) blocks that rethrow work, and pthread_join
 * returns PTHREAD_CANCELED (the G's entry catches the unwinding, as
 * glibc's start_thread does). Not served: asynchronous cancellation (it
 * acts at the next cancellation point, as deferred), and calls handed to
 * the kernel (regular files, waitpid) or that find their fd ready at once
 * (they act at the next wait or pthread_testcancel). */
#include "shim/pthread_impl.h"

#include "compat/tcb.h"
#include "core/signals.h"

/* The hook of every cancellation point (mn_hooks.testcancel). */
static void testcancel(void)
{
    mn_g *g = mn_getg();
    if (!g || !mn_sig_cancel_requested(g) || !mn_can_unwind(g))
        return;
    g->result = PTHREAD_CANCELED;
    mn_real.pthread_testcancel();
}

void mn_cancel_boot(void)
{
    mn_hooks.testcancel = testcancel;
}

MN_EXPORT int pthread_cancel(pthread_t t)
{
    mn_g *g = mn_native() ? NULL : mn_g_from_tcb((void *)t);
    if (!g)
        return mn_real.pthread_cancel(t);
    uint32_t s = atomic_load(&g->status);
    if (s == MN_G_IDLE || s == MN_G_DEAD)
        return ESRCH;
    mn_sig_cancel(g);
    if (g == mn_getg() && (atomic_load(mn_tcb_cancelhandling(g->tcb)) & MN_CANCEL_ASYNC))
        testcancel(); /* asynchronous, on itself: at once, as glibc's */
    return 0;
}

MN_EXPORT void pthread_testcancel(void)
{
    if (mn_getg())
        testcancel();
    else
        mn_real.pthread_testcancel();
}
