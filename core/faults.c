/* The program's actions for the signals of faults: see faults.h. */
#include "core/faults.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "core/exectrace_file.h"
#include "core/runtime.h"
#include "core/sigframes.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define FAULT_BIT(sig) (1u << (sig))
#define FAULTS                                                                                 \
    (FAULT_BIT(SIGSEGV) | FAULT_BIT(SIGBUS) | FAULT_BIT(SIGFPE) | FAULT_BIT(SIGILL) |          \
     FAULT_BIT(SIGTRAP) | FAULT_BIT(SIGSYS))

/* What the program set, which it sees through sigaction. */
static struct sigaction program[32];
static mn_lock program_lock = MN_LOCK_INIT(PROGRAM);

bool mn_fault_signal(int sig)
{
    return sig > 0 && sig < 32 && (FAULTS & FAULT_BIT(sig));
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
    mn_g *g = mn_getg();
    if (sig == SIGSEGV)
        report_overflow(g, info);
    struct sigaction act = program[sig];
    if (act.sa_handler == SIG_DFL || (act.sa_handler == SIG_IGN && info->si_code > 0)) {
        mn_xtrace_write();
        die(sig, info); /* the kernel does not let a fault be ignored */
        return;
    }
    if (act.sa_handler == SIG_IGN)
        return;
    if (act.sa_flags & SA_RESETHAND) { /* (the kernel reset its own, but SIGSEGV's) */
        program[sig].sa_handler = SIG_DFL;
        program[sig].sa_flags &= ~SA_SIGINFO;
    }
    mn_sig_call_handler(g, &act, sig, info, ctx);
}

void mn_faults_install(void)
{
    mn_lock_acquire(&program_lock);
    for (int sig = 1; sig < 32; sig++) {
        if (!mn_fault_signal(sig))
            continue;
        mn_real.sigaction(sig, NULL, &program[sig]); /* one set before boot */
        if (sig == SIGSEGV || is_handler(&program[sig]))
            install_locked(sig);
    }
    mn_lock_release(&program_lock);
}

bool mn_faults_segv_by_default(void)
{
    return program[SIGSEGV].sa_handler == SIG_DFL;
}

int mn_fault_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    mn_lock_acquire(&program_lock);
    if (old)
        *old = program[sig];
    if (act) {
        program[sig] = *act;
        install_locked(sig);
    }
    mn_lock_release(&program_lock);
    return 0;
}

void mn_faults_fork_lock(void)
{
    mn_lock_acquire(&program_lock);
}

void mn_faults_fork_unlock(void)
{
    mn_lock_release(&program_lock);
}
