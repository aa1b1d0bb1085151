/* Asynchronous preemption: see preempt.h. */
#include "core/preempt.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "compat/tcb.h"
#include "core/altstack.h"
#include "core/codemap.h"
#include "core/config.h"
#include "core/kthread.h"
#include "core/sched_internal.h"
#include "core/signals.h"
#include "core/watch.h"

#include <cpuid.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define RED_ZONE 128
/* stack the yield needs below the trampoline's saved state:
 * mn_yield_preempted and what a direct switch (a G asked while nobody
 * waits) runs on this stack for the G switched from */
#define YIELD_STACK (16 * 1024)

uint32_t mn_xstate_size = 512;
uint64_t mn_xstate_mask;
uint8_t mn_xstate_xsave;
uint64_t mn_preempt_sigbit;

static bool enabled;
static pid_t self_pid;
static _Atomic int64_t count, converted;

/* What the trampoline saves: xsave with every state component the OS
 * enabled (CPUID 0xD: sizes for XCR0), or fxsave where xsave is absent.
 * Measured before the first signal that may lead into the trampoline
 * (before_first_signal), not at boot: in a virtual machine each CPUID is
 * an exit to the hypervisor (17 us of a program's start here), and most
 * programs never need it. Measured after a trampoline ran, it would make
 * that trampoline restore with xrstor what it saved with fxsave. */
static void measure_xstate(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) ||
        !__get_cpuid_count(0xd, 0, &a, &b, &c, &d) || b < 576)
        return; /* fxsave: 512 bytes */
    mn_xstate_size = b;
    mn_xstate_mask = (uint64_t)d << 32 | a;
    mn_xstate_xsave = 1;
}

bool mn_preempt_init(void)
{
    if (!mn_codemap_complete()) {
        if (mn_config.debug)
            mn_warn("the runtime's code was not found: no asynchronous preemption");
        return false;
    }
    self_pid = getpid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = mn_preempt_on_sigurg;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (mn_real.sigaction(SIGURG, &sa, NULL) != 0)
        return false;
    mn_preempt_sigbit = 1ull << (SIGURG - 1);
    enabled = true;
    return true;
}

bool mn_preempt_on(void)
{
    return enabled;
}

int64_t mn_preempt_count(void)
{
    return atomic_load_explicit(&count, memory_order_relaxed);
}

/* Whether SIGURG still runs mnrt's handler: the program's sigaction only
 * records its own (signals.c), but a raw rt_sigaction would replace it. */
static bool handler_installed(void)
{
    struct sigaction cur;
    return mn_real.sigaction(SIGURG, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
           cur.sa_sigaction == mn_preempt_on_sigurg;
}

/* What the handler needs before sysmon sends the first signal that may
 * lead into the trampoline (mn_preempt_signal, mn_preempt_convert: both
 * sysmon's alone). The kernel's delivery of a signal orders these stores
 * before the handler's loads. */
static void before_first_signal(void)
{
    static bool done;
    if (done)
        return;
    measure_xstate();
    mn_g_main_stack_find(); /* on_g_stack, for the main G */
    done = true;
}

bool mn_preempt_signal(mn_m *m)
{
    if (!enabled || mn_kthread_state(m->tid) != 'R' || !handler_installed())
        return false;
    before_first_signal();
    atomic_store(&m->preempt_sig, true);
    return mn_raw_syscall(SYS_tgkill, self_pid, m->tid, SIGURG) == 0;
}

static bool on_g_stack(const mn_g *g, uintptr_t sp)
{
    uintptr_t lo = (uintptr_t)g->stack.lo;
    size_t need = RED_ZONE + 8 + 16 * 8 + mn_xstate_size + 64 + YIELD_STACK;
    return sp > lo + need && sp <= lo + g->stack.size;
}

bool mn_preempt_program_code(mn_g *g, uintptr_t pc)
{
    mn_m *m = g->m;
    return enabled && m && m->curg == g && !m->prev_g && m->locks.count == 0 &&
           g->syscall_depth == 0 && !mn_sig_in_handler(g) && m->p &&
           atomic_load(&m->p->status) == mn_pword(m, MN_P_USER) && !mn_codemap_runtime(pc);
}

/* The conditions of preempt.h, for g interrupted at ctx on its M m. */
static bool safe_point(mn_g *g, mn_m *m, const mcontext_t *ctx)
{
    return g->m == m && atomic_load(&g->preempt) &&
           mn_preempt_program_code(g, (uintptr_t)ctx->gregs[REG_RIP]) &&
           on_g_stack(g, (uintptr_t)ctx->gregs[REG_RSP]) && mn_altstack_running_on(m);
}

/* A G blocked inline in the wait that sysmon asked to convert
 * (m->convert): with SA_RESTART the kernel has put the program counter
 * back on the `syscall` instruction and the call's number in rax, to make
 * the call again when the handler returns. Only exactly that state is
 * taken (inline_wait.h), where a preemption would be safe but for the
 * code being glibc's: every register is the call's, saved and given back
 * by the trampoline around the park. */
static bool convertible(mn_g *g, mn_m *m, const mcontext_t *ctx)
{
    return m->curg == g && !m->prev_g && m->locks.count == 0 && g->syscall_depth == 0 &&
           !mn_sig_in_handler(g) && m->p &&
           atomic_load(&m->p->status) == mn_pword(m, MN_P_USER) &&
           mn_inline_wait_matches(&m->convert, ctx) &&
           on_g_stack(g, (uintptr_t)ctx->gregs[REG_RSP]) && mn_altstack_running_on(m);
}

/* The interrupted code calls the trampoline: its return address (the
 * interrupted instruction) goes below the red zone, which the trampoline's
 * `ret $128` skips again on the way back. */
static void inject_call(mcontext_t *ctx)
{
    uint64_t *sp = (uint64_t *)(uintptr_t)(ctx->gregs[REG_RSP] - RED_ZONE - 8);
    *sp = (uint64_t)ctx->gregs[REG_RIP];
    ctx->gregs[REG_RSP] = (greg_t)(uintptr_t)sp;
    ctx->gregs[REG_RIP] = (greg_t)(uintptr_t)mn_preempt_trampoline;
}

void mn_preempt_on_sigurg(int sig, siginfo_t *info, void *uc)
{
    int saved_errno = errno;
    mn_g *g = mn_tls_g;
    mn_m *m = g ? g->m : mn_tls_m;
    bool ours = m && !mn_sched.forked_child;
    bool asked = ours && atomic_exchange_explicit(&m->preempt_sig, false, memory_order_acquire);
    bool convert = ours && atomic_exchange_explicit(&m->convert_sig, false, memory_order_acquire);
    if ((!asked && !convert) || info->si_code != SI_TKILL || info->si_pid != self_pid) {
        mn_sig_from_kernel(sig, info, uc);
    } else if (g) {
        mcontext_t *ctx = &((ucontext_t *)uc)->uc_mcontext;
        if (convert && convertible(g, m, ctx)) {
            g->convert = m->convert;
            g->converting = true;
            inject_call(ctx);
            atomic_fetch_add_explicit(&converted, 1, memory_order_relaxed);
        } else if (asked && safe_point(g, m, ctx)) {
            inject_call(ctx);
            atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
        }
    }
    errno = saved_errno;
}

void mn_preempt_fork_child(void)
{
    self_pid = getpid();
}

bool mn_preempt_convert(mn_m *m, const struct mn_inline_wait *w)
{
    if (!enabled || !handler_installed())
        return false;
    before_first_signal();
    m->convert = *w;
    atomic_store(&m->convert_sig, true);
    return mn_raw_syscall(SYS_tgkill, self_pid, m->tid, SIGURG) == 0;
}

int64_t mn_preempt_converted(void)
{
    return atomic_load_explicit(&converted, memory_order_relaxed);
}

/* The converted wait g->convert, from the trampoline (frame: the
 * registers it saved). An I/O wait that a signal handler ends where the
 * call must fail makes the call return EINTR: past the `syscall`
 * instruction with -EINTR in rax, as the kernel would have. */
static void park_converted(mn_g *g, struct mn_preempt_frame *frame)
{
    g->converting = false;
    struct mn_inline_wait *w = &g->convert;
    if (w->kind == MN_INLINE_FUTEX) {
        mn_watch_wait(mn_inline_wait_word(w), mn_inline_wait_val(w),
                      "glibc lock (inline wait, parked)");
        return;
    }
    bool cancel_point =
        mn_inline_wait_cancel_point(frame->rip, atomic_load(mn_tcb_cancelhandling(g->tcb)));
    if (mn_hooks.io_wait &&
        mn_hooks.io_wait(mn_inline_wait_fd(w), w->dir, cancel_point) == EINTR) {
        frame->rax = (uint64_t)-EINTR;
        frame->rip += 2;
    }
}

void mn_preempt_yield(struct mn_preempt_frame *frame)
{
    int saved_errno = errno;
    mn_g *g = mn_tls_g;
    if (g->converting)
        park_converted(g, frame);
    else
        mn_yield_preempted();
    /* canceled asynchronously meanwhile: unwinds from here, through the
     * trampoline's frame, which describes the interrupted one */
    if ((atomic_load(mn_tcb_cancelhandling(mn_tls_g->tcb)) & MN_CANCEL_ASYNC) &&
        mn_hooks.testcancel)
        mn_hooks.testcancel();
    errno = saved_errno;
}
