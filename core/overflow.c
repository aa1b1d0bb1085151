/* Stack overflow reports and the program's own SIGSEGV handler: see
 * overflow.h. */
#include "core/overflow.h"

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

/* What the program set for SIGSEGV, which it sees through sigaction. The
 * handler reads it without a lock: a change racing with a fault sees the
 * old or the new action, as natively. */
static struct sigaction program;
static mn_lock program_lock = MN_LOCK_INIT(PROGRAM);

static void on_segv(int sig, siginfo_t *info, void *ctx);

/* The kernel's action: mnrt's handler, on the alternate stack, with the
 * mask and restart/defer flags the program asked for its own. */
static void install_locked(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_mask = program.sa_mask;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | (program.sa_flags & (SA_NODEFER | SA_RESTART));
    mn_real.sigaction(SIGSEGV, &sa, NULL);
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

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
    mn_g *g = mn_getg();
    if (g && mn_stack_in_guard(&g->stack, info->si_addr)) {
        char msg[128];
        int n = snprintf(msg, sizeof msg, "mnrt: thread %lld overflowed its %zu-byte stack\n",
                         (long long)g->id, g->stack.size);
        mn_raw_syscall(SYS_write, 2, msg, n);
    }
    struct sigaction act = program;
    if (act.sa_handler == SIG_DFL || (act.sa_handler == SIG_IGN && info->si_code > 0)) {
        mn_xtrace_write();
        die(sig, info); /* the kernel does not let a fault be ignored */
        return;
    }
    if (act.sa_handler == SIG_IGN)
        return;
    if (act.sa_flags & SA_RESETHAND) {
        program.sa_handler = SIG_DFL;
        program.sa_flags &= ~SA_SIGINFO;
    }
    /* on the M's alternate stack: it keeps its G on that M (sigframes.h) */
    struct mn_sig_entry entry;
    if (g)
        mn_sig_handler_enter(g, &entry);
    if (act.sa_flags & SA_SIGINFO)
        act.sa_sigaction(sig, info, ctx);
    else
        act.sa_handler(sig);
    if (g)
        mn_sig_handler_exit(g, &entry);
}

void mn_overflow_install(void)
{
    mn_lock_acquire(&program_lock);
    mn_real.sigaction(SIGSEGV, NULL, &program); /* one set before boot */
    install_locked();
    mn_lock_release(&program_lock);
}

bool mn_overflow_by_default(void)
{
    return program.sa_handler == SIG_DFL;
}

int mn_overflow_sigaction(const struct sigaction *act, struct sigaction *old)
{
    mn_lock_acquire(&program_lock);
    if (old)
        *old = program;
    if (act) {
        program = *act;
        install_locked();
    }
    mn_lock_release(&program_lock);
    return 0;
}

void mn_overflow_fork_lock(void)
{
    mn_lock_acquire(&program_lock);
}

void mn_overflow_fork_unlock(void)
{
    mn_lock_release(&program_lock);
}
