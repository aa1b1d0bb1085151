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
 * entry (mn_cancel_point), as glibc's do before their system call.
 *
 * Cancellation points the kernel makes while the P is handed off (open of
 * a FIFO, read of a tty, waitpid, waitid, fsync, fcntl F_SETLKW,
 * pread, ...) go through mn_sys_cancellable: the G notes its M in
 * g->cancel_call_m around the call, and pthread_cancel, after it set the
 * CANCELED bit, sends that kernel thread SIGCANCEL (glibc's signal 32,
 * which no program can block). mnrt's action for it, SA_RESTART, only
 * looks whether the thread is between the bit's check and the system call
 * instruction (cancel_syscall_x86_64.S), where a restarted call is too;
 * there it makes the call return -EINTR, and the wrapper unwinds after
 * its P bracket is closed. Anywhere else the signal does nothing and an
 * interrupted call restarts. glibc installs its own action for signal 32
 * when the real pthread_cancel runs (a foreign thread's cancel), or, before
 * 2.34, when libpthread starts: mnrt takes it (back) and passes the signal
 * on to glibc's on foreign threads.
 *
 * Asynchronous cancellation uses the same signal: a G that runs its own
 * code (where preemption by signal could stop it, preempt.h) is unwound
 * from the handler, through its signal frame; a G that preemption stopped
 * is unwound when it resumes (preempt.c). Elsewhere (in libc, in mnrt,
 * with preemption off) it acts at the next cancellation point, as
 * deferred cancellation does.
 *
 * close is a cancellation point too, acting before it closes (mnrt's own
 * closes are system calls). Not served: the cancellation points glibc
 * makes itself (sigwait, msgrcv, tcdrain, ...) are not ended while they
 * block. */
#include "shim/pthread_impl.h"

#include "compat/kernel_sigaction.h"
#include "compat/tcb.h"
#include "core/dump.h"
#include "core/preempt.h"
#include "core/signals.h"
#include "shim/sys.h"

#include <string.h>
#include <sys/mman.h>

#define SIGCANCEL 32            /* glibc's (__SIGRTMIN) */

/* cancel_syscall_x86_64.S */
long mn_cancel_syscall(_Atomic int *cancelhandling, long nr, long a1, long a2, long a3, long a4,
                       long a5, long a6);
extern const char mn_cancel_syscall_check[], mn_cancel_syscall_insn[],
    mn_cancel_syscall_canceled[];

/* glibc's own action for signal 32, once the real pthread_cancel made it. */
static void (*_Atomic glibc_action)(int, siginfo_t *, void *);

/* The hook of every cancellation point (mn_hooks.testcancel). */
static void testcancel(void)
{
    mn_g *g = mn_getg();
    if (!g || !mn_sig_cancel_requested(g) || !mn_can_unwind(g))
        return;
    g->result = PTHREAD_CANCELED;
    mn_real.pthread_testcancel();
}

/* An asynchronously cancelable G interrupted at pc may be unwound there:
 * in its own code, where preemption could stop it. */
static bool async_here(mn_g *g, uintptr_t pc)
{
    return (atomic_load(mn_tcb_cancelhandling(g->tcb)) & MN_CANCEL_ASYNC) &&
           mn_preempt_program_code(g, pc);
}

static void on_sigcancel(int sig, siginfo_t *info, void *ucv)
{
    if (mn_dump_on_sigcancel(info, ucv)) /* `mnrt dump`, or a dump asking this M */
        return;
    mn_g *g = mn_tls_g;
    if (!g) {
        void (*glibc)(int, siginfo_t *, void *) = atomic_load(&glibc_action);
        if (glibc && !mn_tls_m)
            glibc(sig, info, ucv);
        return;
    }
    greg_t *ip = &((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RIP];
    uintptr_t pc = (uintptr_t)*ip;
    if (!mn_sig_cancel_requested(g))
        return;
    if (pc >= (uintptr_t)mn_cancel_syscall_check && pc <= (uintptr_t)mn_cancel_syscall_insn)
        *ip = (greg_t)(uintptr_t)mn_cancel_syscall_canceled;
    else if (async_here(g, pc))
        testcancel(); /* unwinds through this handler's frame */
}

/* Makes mnrt's action signal 32's; glibc's, if it had one, is kept for
 * foreign threads. Returns 0 or -errno. */
static int take_sigcancel(void)
{
    struct mn_kernel_action old;
    memset(&old, 0, sizeof old);
    int r = mn_kernel_sigaction(SIGCANCEL, on_sigcancel, SA_SIGINFO | SA_RESTART | SA_NODEFER,
                                &old);
    if (r == 0 && old.handler != on_sigcancel && (old.flags & SA_SIGINFO) &&
        (uintptr_t)old.handler > (uintptr_t)SIG_IGN)
        atomic_store(&glibc_action, old.handler);
    return r;
}

/* glibc installs its action when its pthread_cancel first runs (2.34+),
 * or when libpthread starts (before 2.34): then it is there at boot. */
void mn_cancel_boot(void)
{
    mn_hooks.testcancel = testcancel;
    if (take_sigcancel() != 0)
        mn_warn("cannot install the action of signal 32: pthread_cancel does not end calls "
                "blocked in the kernel (waitpid, a tty's read)");
}

/* Calls that wait for the disk, longer than handing the P on costs. */
static bool waits_for_device(long nr, long a3)
{
    return nr == SYS_fsync || nr == SYS_fdatasync || (nr == SYS_msync && (a3 & MS_SYNC));
}

long mn_sys_cancellable6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    mn_g *g = mn_getg();
    if (!g)
        return mn_sys6(nr, a1, a2, a3, a4, a5, a6);
    mn_cancel_point();
    if (waits_for_device(nr, a3))
        mn_entersyscallblock();
    else
        mn_entersyscall();
    /* seq_cst, against pthread_cancel's bit then this */
    atomic_store(&g->cancel_call_m, g->m);
    long r = mn_cancel_syscall(mn_tcb_cancelhandling(g->tcb), nr, a1, a2, a3, a4, a5, a6);
    atomic_store(&g->cancel_call_m, NULL);
    mn_exitsyscall();
    if (r == -EINTR)
        mn_cancel_point(); /* unwinds when it was pthread_cancel's */
    if ((unsigned long)r > -4096ul) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

MN_EXPORT int pthread_cancel(pthread_t t)
{
    mn_g *g = mn_native() ? NULL : mn_g_from_tcb((void *)t);
    if (!g) {
        int r = mn_real.pthread_cancel(t);
        if (!mn_native())
            take_sigcancel(); /* glibc's replaced mnrt's */
        return r;
    }
    if (!mn_g_alive(g))
        return ESRCH;
    mn_sig_cancel(g);
    mn_m *m = atomic_load(&g->cancel_call_m);
    bool async = atomic_load(mn_tcb_cancelhandling(g->tcb)) & MN_CANCEL_ASYNC;
    if (!m && async && atomic_load(&g->status) == MN_G_RUNNING)
        m = g->m; /* it may be spinning in its own code */
    if (m && g != mn_getg() && mn_sig_cancel_requested(g))
        mn_raw_syscall(SYS_tgkill, mn_raw_syscall(SYS_getpid), m->tid, SIGCANCEL);
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
