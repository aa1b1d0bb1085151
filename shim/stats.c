/* mnrt.h: the version and the scheduler's counters. */
#include "shim/pthread_impl.h"

#include "core/gcache.h"
#include "core/preempt.h"
#include "core/watch.h"
#include "core/sysmon.h"
#include "shim/mnrt.h"

#include <stddef.h>
#include <string.h>

#ifndef MNRT_VERSION
#define MNRT_VERSION "unknown"
#endif

MN_EXPORT const char *mnrt_version(void)
{
    return MNRT_VERSION;
}

MN_EXPORT int mnrt_get_stats(struct mnrt_stats *st)
{
    if (!st || st->size < offsetof(struct mnrt_stats, idle_procs)) {
        errno = EINVAL;
        return -1;
    }
    struct mnrt_stats s;
    memset(&s, 0, sizeof s);
    s.size = st->size < sizeof s ? st->size : sizeof s;
    s.procs = mn_sched.procs;
    s.idle_procs = atomic_load(&mn_sched.npidle);
    s.spinning_machines = atomic_load(&mn_sched.nmspinning);
    s.threads_live = atomic_load(&mn_sched.glive);
    s.threads_created = atomic_load(&mn_sched.gcreated);
    s.sysmon = mn_sysmon_running();
    mn_lock_acquire(&mn_sched.lock);
    s.machines = mn_sched.mcount;
    s.idle_machines = mn_sched.nmidle;
    s.stacks_cached = mn_gcache_count();
    mn_lock_release(&mn_sched.lock);
    mn_sched_counts(&s.context_switches, &s.parks);
    s.preemptions = mn_preempt_count();
    mn_futex_syscall_counts(&s.futex_parks, &s.futex_kernel, &s.futex_kernel_wakes);
    s.handoffs = mn_sysmon_handoffs();
    s.unseen_blocks = mn_sysmon_unseen_blocks();
    s.converted_waits = mn_preempt_converted();
    s.watched_waits = mn_watch_waits();
    memcpy(st, &s, s.size);
    return 0;
}
