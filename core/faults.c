/* The program's actions for the signals of faults: see faults.h. */
#include "core/faults.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "core/exectrace_file.h"
#include "core/runtime.h"
#include "core/sigframes.h"
#include "core/signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

/* The signals of faults, bit sig - 1: those a G's mask may hold but mnrt
 * does not route (core/signals.h). */
static uint64_t faults(void)
{
    return mn_sig_maskable() & ~mn_sig_blockable();
}

/* What the program set, which it sees through sigaction, written under
 * program_lock. While a thread holds the lock, the signals of faults are
 * blocked on it: a handler that a sent one ran there and that set an
 * action would wait for the lock for good (a handler that reinstalls
 * itself with signal(), a review). The handler reads an action without
 * the lock (it may run where the thread holds mnrt's other locks), whole:
 * each write makes its signal's `writing` count odd while it lasts, by a
 * compare-and-swap from even; the handler's own write (SA_RESETHAND)
 * does the same without the lock, and yields to a write under way (as
 * if that one came after). */
static struct sigaction program[32];
static _Atomic uint32_t writing[32];
static mn_lock program_lock = MN_LOCK_INIT(PROGRAM);
static uint64_t fork_mask; /* the forking thread's, while it holds the lock across fork */

/* Makes sig's count odd; false if it was already (wait: until it is not). */
static bool begin_write(int sig, bool wait)
{
    for (;;) {
        uint32_t w = atomic_load(&writing[sig]);
        if (!(w & 1) && atomic_compare_exchange_strong(&writing[sig], &w, w + 1))
            return true;
        if (!wait)
            return false;
        __builtin_ia32_pause();
    }
}

/* Under program_lock. */
static void set_action(int sig, const struct sigaction *act)
{
    begin_write(sig, true);
    program[sig] = *act;
    atomic_fetch_add(&writing[sig], 1);
}

static struct sigaction action_of(int sig)
{
    for (;;) {
        uint32_t w = atomic_load(&writing[sig]);
        struct sigaction a = program[sig];
        atomic_thread_fence(memory_order_acquire);
        if (!(w & 1) && atomic_load(&writing[sig]) == w)
            return a;
    }
}

static uint64_t lock_actions(void)
{
    uint64_t block = faults(), old;
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &block, &old, sizeof block);
    mn_lock_acquire(&program_lock);
    return old;
}

static void unlock_actions(uint64_t old)
{
    mn_lock_release(&program_lock);
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
}

bool mn_fault_signal(int sig)
{
    return sig > 0 && sig < 32 && (faults() >> (sig - 1) & 1);
}

static bool is_handler(const struct sigaction *a)
{
    return a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN;
}

static void on_fault(int sig, siginfo_t *info, void *ctx);

/* The kernel's action for sig: mnrt's handler with the mask and flags the
 * program asked for its own; SIGSEGV's always, on the alternate stack,
 * kept across SA_RESETHAND (on_fault carries it out). */
static void install_locked(int sig)
{
    const struct sigaction *p = &program[sig];
    if (sig != SIGSEGV && !is_handler(p)) {
        mn_real.sigaction(sig, p, NULL);
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_mask = p->sa_mask;
    int keep = SA_NODEFER | SA_RESTART | (sig == SIGSEGV ? SA_ONSTACK : SA_ONSTACK | SA_RESETHAND);
    sa.sa_flags = SA_SIGINFO | (sig == SIGSEGV ? SA_ONSTACK : 0) | (p->sa_flags & keep);
    mn_real.sigaction(sig, &sa, NULL);
}

static void die(int sig, const siginfo_t *info)
{
    /* Die as the program would. A fault repeats once the handler returns
     * and finds the default action; a sent signal (raise, kill,
     * pthread_kill, sigqueue: si_code <= 0) does not, so it is sent again,
     * to this thread, where it waits until the handler returns. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    mn_real.sigaction(sig, &dfl, NULL);
    if (info->si_code <= 0)
        mn_raw_syscall(SYS_tgkill, mn_raw_syscall(SYS_getpid), mn_raw_syscall(SYS_gettid), sig);
}

static void report_overflow(const mn_g *g, const siginfo_t *info)
{
    if (!g || !mn_stack_in_guard(&g->stack, info->si_addr))
        return;
    char msg[128];
    int n = snprintf(msg, sizeof msg, "mnrt: thread %lld overflowed its %zu-byte stack\n",
                     (long long)g->id, g->stack.size);
    mn_raw_syscall(SYS_write, 2, msg, n);
}

static void on_fault(int sig, siginfo_t *info, void *ctx)
{
    if (sig == SIGSEGV)
        report_overflow(mn_getg(), info);
    struct sigaction act = action_of(sig);
    bool foreign = mn_sig_foreign_process(); /* a CLONE_VM child: its actions are its own */
    if (is_handler(&act) && (act.sa_flags & SA_RESETHAND)) {
        /* (the kernel reset its own action, but SIGSEGV's) */
        if (foreign) {
            struct sigaction dfl = {.sa_handler = SIG_DFL};
            mn_real.sigaction(sig, &dfl, NULL);
        } else if (begin_write(sig, false)) {
            if (program[sig].sa_handler == act.sa_handler) { /* (unless set again meanwhile) */
                program[sig].sa_handler = SIG_DFL;
                program[sig].sa_flags &= ~SA_SIGINFO;
            }
            atomic_fetch_add(&writing[sig], 1);
        }
    }
    if (act.sa_handler == SIG_DFL || (act.sa_handler == SIG_IGN && info->si_code > 0)) {
        mn_xtrace_write();
        die(sig, info); /* the kernel does not let a fault be ignored */
        return;
    }
    if (act.sa_handler == SIG_IGN)
        return;
    if (foreign)
        mn_sig_call_handler(NULL, &act, sig, info, ctx);
    else
        mn_sig_run_fault_handler(sig, &act, info, ctx);
}

void mn_faults_install(void)
{
    uint64_t mask = lock_actions();
    for (int sig = 1; sig < 32; sig++) {
        if (!mn_fault_signal(sig))
            continue;
        struct sigaction before; /* one set before boot */
        mn_real.sigaction(sig, NULL, &before);
        set_action(sig, &before);
        if (sig == SIGSEGV || is_handler(&program[sig]))
            install_locked(sig);
    }
    unlock_actions(mask);
}

bool mn_faults_segv_by_default(void)
{
    return action_of(SIGSEGV).sa_handler == SIG_DFL;
}

int mn_fault_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    uint64_t mask = lock_actions();
    if (old)
        *old = program[sig];
    if (act) {
        set_action(sig, act);
        install_locked(sig);
    }
    unlock_actions(mask);
    return 0;
}

void mn_faults_fork_lock(void)
{
    fork_mask = lock_actions();
}

void mn_faults_fork_unlock(void)
{
    unlock_actions(fork_mask);
}
