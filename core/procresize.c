/* Changing the number of Ps while the program runs (docs/design.md §14: the
 * number of Ps follows the cgroup CPU limit). Boot makes one P (unless
 * MNRT_PROCS says); they are sized once, by the first of the program's
 * first thread and sysmon's start (mn_procs_size: reading the cgroup's
 * limit is 40-100 us of a program's start, and the main G alone needs one
 * P: with more, a G readied by the poller woke a second M, a thread of
 * glibc's, for nothing); sysmon follows the limit after that, never
 * before, so Ps are added by one thread at a time. More Ps: new ones and
 * retired ones join the idle list; a busy one that a shrink just before
 * left with its M stays with it. Fewer: idle ones beyond the new count
 * leave it at once, busy ones are given up by their M at its next
 * scheduling point (retire_dead_p in sched.c); their Gs go to the global
 * queue and their timers to P 0. P structures are never freed (Ms may
 * still look at them). Invariant: a P is on the idle list or held by one
 * M, never both. */
#include "core/sched_internal.h"

#include "compat/log.h"
#include "core/config.h"

void mn_p_drain(mn_p *p)
{
    bool next;
    mn_g *g;
    while ((g = mn_runq_get(&p->runq, &next))) {
        mn_lock_acquire(&mn_sched.lock);
        mn_globrunq_put_locked(g);
        mn_lock_release(&mn_sched.lock);
    }
    if (mn_timers_move(&mn_sched.allp[0]->timers, &p->timers) != 0)
        mn_warn_once("out of memory moving timers: some sleeps end late");
    mn_poll_break(); /* the sleeping M recomputes its deadline */
    mn_wakep();
}

/* Claimed by the thread that sizes the Ps (mn_procs_size), once. */
static atomic_bool size_claimed;

void mn_procs_size(void)
{
    if (atomic_load_explicit(&mn_sched.procs_sized, memory_order_acquire) ||
        atomic_exchange(&size_claimed, true))
        return;
    if (!mn_config.procs_fixed) {
        int want = mn_procs_auto();
        if (want != atomic_load(&mn_sched.procs))
            mn_procresize(want);
    }
    atomic_store_explicit(&mn_sched.procs_sized, true, memory_order_release);
}

void mn_procs_fork_child(void)
{
    /* a sizing another thread was making did not come along */
    if (!atomic_load(&mn_sched.procs_sized))
        atomic_store(&size_claimed, false);
}

void mn_procresize(int n)
{
    if (n < 1)
        n = 1;
    if (n > MN_MAX_PROCS)
        n = MN_MAX_PROCS;
    mn_p *drain[MN_MAX_PROCS];
    int ndrain = 0;
    /* Ps never made before are made first, without sched.lock: mn_p_new
     * allocates with the program's malloc, whose own locks may be pthread
     * mutexes mnrt serves (a wait-queue bucket, then a wait for the G that
     * holds one), which nothing holding sched.lock may wait for
     * (core/lockrank.h). Ps are added by one thread at a time (whoever
     * sizes them first, mn_procs_size, then sysmon), and readers look at
     * allp[i] only for i < nallp. */
    int made = atomic_load_explicit(&mn_sched.nallp, memory_order_relaxed);
    int made_before = made;
    while (made < n && (mn_sched.allp[made] = mn_p_new(made)))
        made++;
    mn_lock_acquire(&mn_sched.lock);
    atomic_store_explicit(&mn_sched.nallp, made, memory_order_release); /* allp[i] first */
    int old = atomic_load(&mn_sched.procs);
    if (n > made)
        n = made; /* no memory for more */
    if (n > old) {
        /* A P that a shrink left with its M, which has not given it up
         * yet (or been handed it), stays with that M: retire_dead_p looks
         * again under the lock. Idling it too gave it two Ms (ThreadSanitizer
         * in unit_procresize: both ticked its schedtick). */
        for (int i = old; i < n; i++)
            if (i >= made_before || mn_pstate(mn_sched.allp[i]) == MN_P_DEAD)
                mn_pidleput_locked(mn_sched.allp[i]);
        atomic_store(&mn_sched.procs, n);
    } else if (n < old) {
        atomic_store(&mn_sched.procs, n);
        /* idle Ps beyond n leave the idle list now */
        for (mn_p **l = &mn_sched.pidle; *l;) {
            mn_p *p = *l;
            if (p->id >= n) {
                *l = p->link;
                atomic_fetch_sub(&mn_sched.npidle, 1);
                atomic_store(&p->status, mn_pword(NULL, MN_P_DEAD));
                drain[ndrain++] = p;
            } else {
                l = &p->link;
            }
        }
    }
    mn_lock_release(&mn_sched.lock);
    for (int i = 0; i < ndrain; i++)
        mn_p_drain(drain[i]);
    if (n > old)
        mn_wakep();
}
