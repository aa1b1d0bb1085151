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
 * glibc's start_thread does). Every cancellation point also acts at its
 * entry (mn_cancel_point), as glibc's do before their system call: open,
 * read, write, pread, pwrite, recv*, send*, accept, connect, fsync,
 * fdatasync, wait*, poll, select, epoll_wait, sleeps, sem_wait,
 * pthread_cond_wait, pthread_join, sigsuspend, pause. Not served: a call
 * handed to the kernel (regular files, waitpid) is not interrupted while
 * it blocks; close is no cancellation point (mnrt closes its own fds
 * through it); asynchronous cancellation acts where deferred does. */
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
    if (!mn_g_alive(g))
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
