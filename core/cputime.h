/* Per-thread CPU time of Gs (issue 14, item 5): what CLOCK_THREAD_CPUTIME_ID,
 * the clock of pthread_getcpuclockid and getrusage(RUSAGE_THREAD) report
 * for a program thread, instead of its kernel thread's (shim/cputime.c).
 *
 * Accounted at switches: a G that starts running on an M notes the M's own
 * thread CPU clock (g->cpu_in); when it switches away it adds the clock's
 * advance to g->cpu_ns. Its CPU time is cpu_ns, plus the advance since
 * cpu_in while it runs. The CPU its M spends between two Gs (the switch,
 * scheduling) is nobody's; a G's system calls count, as natively, and a G
 * blocked in one uses none.
 *
 * Reading a thread CPU clock is a system call (no vDSO; 0.1 to 1 us), two
 * per switch: a G is accounted only once its CPU time was asked for (its
 * own clock, getrusage, pthread_getcpuclockid of it), or from its start
 * with MNRT_DEBUG=cputime=1. Its time counts from then: from the ask if
 * it asked itself, or if it was running then (the asking thread notes its
 * M's clock in cpu_since), else from its next switch in.
 *
 * Invariants: only the G itself writes cpu_ns and cpu_in, at its switches
 * (mn_cputime_in once it switched in, mn_cputime_out before it switches
 * away) and when it reads its own time with cpu_in still 0 (turned on by
 * another thread while it ran: cpu_since becomes cpu_in), inside cpu_seq's
 * odd/even bracket, and clears cpu_since_m there;
 * other threads read them with the sequence count. cpu_on, once true,
 * stays so for the G's life. A G not accounted costs one load per switch. */
#ifndef MN_CORE_CPUTIME_H
#define MN_CORE_CPUTIME_H

#include "core/runtime.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Every G is accounted from its start (MNRT_DEBUG=cputime=1). */
extern bool mn_cputime_all;

void mn_cputime_note_in(mn_g *g);
void mn_cputime_note_out(mn_g *g);

/* g switched in on its M (sched.c, mn_resume_g). */
static inline void mn_cputime_in(mn_g *g)
{
    if (__builtin_expect(atomic_load_explicit(&g->cpu_on, memory_order_relaxed), 0))
        mn_cputime_note_in(g);
}

/* g is about to switch away (sched.c, mn_switch_out). */
static inline void mn_cputime_out(mn_g *g)
{
    if (__builtin_expect(atomic_load_explicit(&g->cpu_on, memory_order_relaxed), 0))
        mn_cputime_note_out(g);
}

/* Accounts g from now on (any thread; the calling G's own from now). */
void mn_cputime_start(mn_g *g);

/* The calling G's CPU time in ns (it is accounted from now on, if not yet). */
int64_t mn_cputime_self(void);

/* g's CPU time in ns, from any thread; -1 if g has finished or is not
 * accounted. */
int64_t mn_cputime_of(mn_g *g);

#endif
