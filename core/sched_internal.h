/* What the scheduler's files (sched.c, syscall.c, sysmon.c, procresize.c,
 * preempt.c) share and nothing else may use. See runtime.h for the invariants. */
#ifndef MN_CORE_SCHED_INTERNAL_H
#define MN_CORE_SCHED_INTERNAL_H

#include "core/runtime.h"

/* p->status: the owner M (m->id + 1, 0 for none) and the state. */
static inline uint64_t mn_pword(const mn_m *m, enum mn_pstatus st)
{
    return ((uint64_t)(m ? (uint32_t)m->id + 1 : 0) << 32) | (uint32_t)st;
}

static inline enum mn_pstatus mn_pstate(const mn_p *p)
{
    return (enum mn_pstatus)(uint32_t)atomic_load(&((mn_p *)p)->status);
}

/* What sysmon reads of a P and its M while their owner changes it (p->m,
 * p->schedtick, m->curg) is a snapshot, checked against the P's status word
 * before sysmon acts on it (docs/design.md §4): the owner writes these
 * fields, and sysmon reads them, as relaxed atomics (ThreadSanitizer found
 * the plain accesses racing: docs/sanitizers.md). The owner's own reads
 * stay plain. */
#define MN_SNAPSHOT_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define MN_SNAPSHOT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* One more G scheduled on p (its owner only). */
static inline void mn_p_tick(mn_p *p)
{
    MN_SNAPSHOT_SET(p->schedtick, p->schedtick + 1);
}

/* Whether m holds p now: m->p may still name a P sysmon took from m
 * (reports read it from other threads; m itself learns it at its next
 * mn_p_transition). */
static inline bool mn_p_held_by(const mn_p *p, const mn_m *m)
{
    return p && (uint32_t)(atomic_load(&((mn_p *)p)->status) >> 32) == (uint32_t)m->id + 1;
}

/* Moves m's P from `from` (USER or SYSCALL) to `to` if m still owns it;
 * otherwise m lost it to sysmon: m->p becomes NULL, returns false. */
bool mn_p_transition(mn_m *m, enum mn_pstatus from, enum mn_pstatus to);

/* Switches away from the calling G with a request (runtime.h) and returns
 * when the G runs again. Parks, yields and exits switch straight to the
 * next G of the P's own queue when schedule() would take it at once (one
 * FS load instead of two: each is a system call without FSGSBASE); that G
 * then finishes the request in g0's place (mn_resume_g). Everything else
 * goes through g0. */
void mn_switch_out(mn_g *g, enum mn_m_action action);

/* sysmon only: moves every G queued on p (runnext too) to the global
 * queue, where any P finds them, and wakes an idle P for them: p's G
 * does not yield, even to a preemption signal (a signal handler, a loop
 * in libc), and would keep them waiting behind it. */
void mn_runq_hand_out(mn_p *p);

/* sched.lock held */
void mn_pidleput_locked(mn_p *p);
mn_p *mn_pidleget_locked(void);
void mn_globrunq_put_locked(mn_g *g);

mn_p *mn_pidleget(void);
void mn_acquirep(mn_m *m, mn_p *p);
void mn_startm(mn_p *p, bool spinning);
/* Runs p on a new M, or makes p idle when no M can be made. */
void mn_startm_new(mn_p *p, bool spinning);
void mn_wakep(void);
/* Whether Gs wait to run on p: in its own queue or in the global one.
 * One test for the two places that decide whether a P needs an M:
 * findrunnable gives its P back only when this is false (looked at under
 * sched.lock), and mn_handoffp gives a P taken from a blocked M an M when
 * it is true; were they to differ, a P could be handed off idle with work
 * that findrunnable would have run. Timers are not work here: an idle P's
 * are watched by the M that sleeps until the earliest timer of any P. */
static inline bool mn_p_has_work(mn_p *p)
{
    return !mn_runq_empty(&p->runq) || atomic_load(&mn_sched.runqsize) != 0;
}

/* A P nobody runs (taken from a blocked M): to an M if there is work;
 * else idle, and if it has timers, the M sleeping until the next timer is
 * told, or, when none sleeps so, an M is woken to become it. */
void mn_handoffp(mn_p *p);
/* Ps given up by mn_entersyscallblock (sysmon's takes are counted apart). */
int64_t mn_syscall_entry_handoffs(void);

/* procresize.c: changes the number of Ps; moves the run queue and
 * timers of a P that goes away. */
void mn_procresize(int n);
void mn_p_drain(mn_p *p);
mn_p *mn_p_new(int id);

/* sysmon: starts an M for timers that are due while no M waits for them,
 * or wakes the poll owner if it sleeps past them. */
void mn_kick_overdue_timers(int64_t now);
/* The earliest deadline of any P's timers (INT64_MAX: none), read
 * without their locks. */
int64_t mn_earliest_timer(void);
/* sysmon.c: a timer due at `when` was added while no M polls: a monitor
 * that sleeps past it wakes to look at the P that holds it, whose G may
 * run on (mn_timer_start). */
void mn_monitor_notice_timer(int64_t when);

/* sysmon.c: a P turned busy: a monitor sleeping long must resume its
 * short ticks. */
void mn_monitor_notice_busy(void);
/* sysmon.c: asks the monitor to run p on a new M (mn_startm_new) soon;
 * false if there is no monitor. */
bool mn_monitor_start_m(mn_p *p, bool spinning);
/* sysmon.c: whether the caller is the monitor thread. */
bool mn_monitor_thread(void);

/* sigpending (signals.c mn_sig_settle): waits, until deadline at most,
 * for every M that may have taken a signal only to pass it on to have
 * posted it. Such an M runs no G and its kernel mask is still its last
 * G's (it has not yet looked for work far enough to set the idle mask,
 * or it woke from the poller's wait, which sets that mask for the wait
 * alone): a process-directed signal that every G now blocks can land
 * there, and from the kernel's dequeue until that thread's handler has
 * posted it (milliseconds, when it is descheduled) it is nowhere a look
 * can see. The handler runs before the thread's next instruction, so
 * any step the M takes after this call began (a pass of its scheduling
 * loop, a return from the poller's wait, a G run, the idle mask set)
 * comes after the post (a G run only once the kernel's interrupt that
 * sent the signal there has arrived: that is taken as given). A poller
 * asleep in its wait is woken. Every M takes such a step soon: one
 * that runs no G again sets the idle mask first (a locked M whose G
 * exited, the main thread parked for good), and one whose kernel thread
 * was not made yet has every signal blocked (m_alloc). Polls every
 * PASSERS_LOOK_NS: nothing wakes the caller, and such an M is rare (the
 * wait is free without one, but for mn_sched.lock and a walk of the
 * Ms). */
#define PASSERS_LOOK_NS 20000
void mn_await_signal_passers(int64_t deadline);

#endif
