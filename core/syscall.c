/* System calls that may block, and the P they must not hold meanwhile
 * (docs/design.md §8 kind 2; Go's entersyscall/exitsyscall/handoffp).
 *
 * mn_entersyscall marks the P SYSCALL (one CAS); if the call lasts and there
 * is other work, sysmon takes the P (CAS SYSCALL -> IDLE) and hands it to
 * another M. mn_exitsyscall takes it back with one CAS when nobody did;
 * otherwise it looks for an idle P, or queues its G and stops the M. Both
 * are a few tens of ns when the call does not block.
 *
 * mn_entersyscallblock is for calls that wait for a device (fsync and its
 * kin): when Gs wait for the P, the M gives it up at once, by the same CAS
 * sysmon would make, rather than holding it until sysmon has seen the call
 * at two looks (up to 20 ms apart while sysmon finds nothing to take). */
#include "core/sched_internal.h"

#include "compat/log.h"
#include "core/exectrace.h"

/* mn_entersyscall's work; fp: the frame of the function the program's
 * code called, whose caller's registers are where the G's stack can be
 * unwound from while it is in the call (thread dumps, core/dump.h): that
 * frame is gone by the time the call blocks. */
static inline __attribute__((always_inline)) void enter(mn_g *g, void **fp)
{
    g->syscall_pc = (uintptr_t)fp[1];
    g->syscall_sp = (uintptr_t)(fp + 2);
    g->syscall_fp = (uintptr_t)fp[0];
    mn_m *m = g->m;
    mn_p *p = m->p;
    if (!p)
        return; /* lost already: mn_exitsyscall finds another */
    /* only the owner writes it; sysmon just reads it */
    atomic_store_explicit(&p->syscalltick,
                          atomic_load_explicit(&p->syscalltick, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    g->p_in_syscall = mn_p_transition(m, MN_P_USER, MN_P_SYSCALL);
}

void mn_entersyscall(void)
{
    mn_g *g = mn_tls_g;
    if (g && g->syscall_depth++ == 0)
        enter(g, __builtin_frame_address(0));
}

/* Ps given up at the entry of a call that waits for a device */
static _Atomic int64_t handed_at_entry;

int64_t mn_syscall_entry_handoffs(void)
{
    return atomic_load_explicit(&handed_at_entry, memory_order_relaxed);
}

void mn_entersyscallblock(void)
{
    mn_g *g = mn_tls_g;
    if (!g || g->syscall_depth++ > 0)
        return; /* a foreign thread, or nested */
    enter(g, __builtin_frame_address(0));
    mn_p *p = g->m->p;
    if (!g->p_in_syscall || !mn_p_has_work(p))
        return; /* the P is gone already; or nobody waits: keep it (sysmon
                 * takes it if that changes) */
    /* From the CAS until an M holds it, the P is nobody's: a program
     * handler that waited here would keep it from everyone. Held off as
     * inside an mnrt lock (signals.c g_here). */
    mn_lock_count(1);
    atomic_signal_fence(memory_order_seq_cst);
    uint64_t word = mn_pword(g->m, MN_P_SYSCALL);
    if (atomic_compare_exchange_strong(&p->status, &word, mn_pword(NULL, MN_P_IDLE))) {
        atomic_fetch_add_explicit(&handed_at_entry, 1, memory_order_relaxed);
        mn_xtrace_handoff(p, word, false);
        mn_handoffp(p);
    } /* else sysmon took it meanwhile */
    mn_lock_uncount();
}

void mn_syscall_left_by_jump(void)
{
    mn_g *g = mn_tls_g;
    if (!g)
        return;
    atomic_store(&g->cancel_call_m, NULL);
    if (g->syscall_depth == 0)
        return;
    g->syscall_depth = 1; /* every bracket the jump leaves ends here */
    mn_exitsyscall();
}

void mn_syscall_fork_child(void)
{
    atomic_store_explicit(&handed_at_entry, 0, memory_order_relaxed);
}

void mn_exitsyscall(void)
{
    mn_g *g = mn_tls_g;
    /* 0: a jump out of a handler that interrupted this call ended it
     * already (mn_syscall_left_by_jump, which ends every bracket: it
     * cannot tell which of them the jump leaves) */
    if (!g || g->syscall_depth == 0 || --g->syscall_depth > 0)
        return;
    mn_m *m = g->m;
    if (!g->p_in_syscall && m->p)
        return; /* it parked inside the call: it runs with a P again */
    g->p_in_syscall = false;
    if (mn_p_transition(m, MN_P_SYSCALL, MN_P_USER)) {
        mn_check_preempt();
        return;
    }
    mn_p *p = mn_pidleget();
    if (p) {
        mn_acquirep(m, p);
        mn_xtrace_start(m, g); /* it runs on, on this P now */
        /* a fresh slice: an ask for the old one, on the P it lost, is void
         * here, and so is a mark the idle P kept from its last slice */
        atomic_store_explicit(&g->preempt, 0, memory_order_relaxed);
        atomic_store_explicit(&p->preempt, false, memory_order_relaxed);
        atomic_store(&p->status, mn_pword(m, MN_P_USER));
        return;
    }
    mn_switch_out(g, MN_ACT_QUEUE); /* resumes when an M runs it again */
}

void mn_handoffp(mn_p *p)
{
    if (mn_p_has_work(p)) { /* what findrunnable keeps its P for */
        mn_startm(p, false);
        return;
    }
    int zero = 0;
    if (atomic_load(&mn_sched.nmspinning) + atomic_load(&mn_sched.npidle) == 0 &&
        atomic_compare_exchange_strong(&mn_sched.nmspinning, &zero, 1)) {
        mn_startm(p, true); /* no M is looking for work: this one will */
        return;
    }
    mn_lock_acquire(&mn_sched.lock);
    mn_pidleput_locked(p);
    mn_lock_release(&mn_sched.lock);
    if (mn_timers_next(&p->timers) == INT64_MAX)
        return;
    if (atomic_load(&mn_sched.poll_owner))
        mn_poll_break(); /* the sleeping M must watch this P's timers too */
    else
        mn_wakep(); /* no M sleeps until the next timer (Go's wakeNetPoller) */
}
