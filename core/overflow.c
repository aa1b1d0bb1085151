/* Stack overflow reports: see overflow.h. */
#include "core/overflow.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "core/runtime.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static void on_segv(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    mn_g *g = mn_getg();
    if (g && mn_stack_in_guard(&g->stack, info->si_addr)) {
        char msg[128];
        int n = snprintf(msg, sizeof msg, "mnrt: thread %lld overflowed its %zu-byte stack\n",
                         (long long)g->id, g->stack.size);
        mn_raw_syscall(SYS_write, 2, msg, n);
    }
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

void mn_overflow_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    struct sigaction old;
    mn_real.sigaction(SIGSEGV, NULL, &old);
    if (old.sa_handler != SIG_DFL)
        return; /* the program (or a tool) handles SIGSEGV already */
    mn_real.sigaction(SIGSEGV, &sa, NULL);
}

