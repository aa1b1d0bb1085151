/* The runtime across fork(): see fork.h. */
#include "core/fork.h"

#include "core/dump.h"
#include "core/exectrace.h"
#include "core/lowfd.h"
#include "core/faults.h"
#include "core/preempt.h"
#include "core/signals.h"
#include "core/stats.h"
#include "core/sysmon.h"
#include "core/waitq.h"
#include "core/watch.h"

void mn_fork_prepare(void)
{
    mn_lock_thread_for_fork();
    mn_sig_fork_lock();
    mn_faults_fork_lock();
    mn_sched_fork_lock();
}

void mn_fork_parent(void)
{
    mn_sched_fork_unlock();
    mn_faults_fork_unlock();
    mn_sig_fork_unlock();
}

void mn_fork_child(const struct mn_g0_parts *g0)
{
    mn_g *self = mn_getg();
    /* The locks taken in prepare are this M's: released as in the parent.
     * The lists they guard are whole, and nobody else runs here. */
    mn_fork_parent();
    if (self->fork_locked) { /* the parent's business (its tracer) */
        self->fork_locked = false;
        mn_unlock_thread(false);
    }
    mn_xtrace_fork_child(); /* before the rebuild records the child's first events */
    mn_sched_fork_child(self, g0);
    mn_g_fork_child(self);
    mn_procs_fork_child();
    mn_waitq_reset();
    mn_watch_fork_child();
    mn_sig_fork_child(self);
    mn_preempt_fork_child();
    mn_monitor_fork_child();
    mn_stats_fork_child();
    mn_dump_fork_child();
    mn_syscall_fork_child();
    mn_lowfd_fork_child();
}

void mn_fork_child_done(void)
{
    mn_monitor_fork_child_start();
}
