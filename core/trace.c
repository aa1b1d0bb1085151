/* The scheduler trace (MNRT_DEBUG=schedtrace=MS[,scheddetail=1]) in Go's
 * format, and the thread list of the deadlock report. It reads the
 * scheduler's state without stopping it, so a line is a snapshot that may
 * be slightly inconsistent, as Go's is. */
#include "core/outbuf.h"
#include "core/preempt.h"
#include "core/sysmon.h"
#include "core/watch.h"

#include "compat/raw_syscall.h"
#include "core/futex.h"
#include "core/sched_internal.h"

#include <stdio.h>
#include <sys/syscall.h>

static const char *const gstatus[] = {"idle", "runnable", "running", "waiting", "dead"};
static const char *const pstatus[] = {"idle", "running", "user", "syscall", "dead"};

static void detail_g(mn_g *g, void *arg)
{
    struct mn_out *o = arg;
    uint32_t s = atomic_load(&g->status);
    mn_m *m = g->m;
    const char *why = g->syscall_depth ? "syscall" : g->wait_reason;
    mn_out_put(o, "  G%lld: status=%s%s%s%s m=%d\n", (long long)g->id, s < 5 ? gstatus[s] : "?",
        why ? "(" : "", why ? why : "", why ? ")" : "", m ? m->id : -1);
}

void mn_schedtrace(bool detail)
{
    struct mn_out o = {.fd = 2};
    int64_t ms = (mn_nanotime() - mn_sched.start_ns) / 1000000;
    int procs = atomic_load(&mn_sched.procs);
    mn_lock_acquire(&mn_sched.lock);
    int threads = mn_sched.mcount + (mn_sysmon_running() ? 1 : 0);
    int idlethreads = mn_sched.nmidle;
    mn_lock_release(&mn_sched.lock);
    int64_t switches, parks;
    mn_sched_counts(&switches, &parks);
    mn_out_put(&o, "mnrt: SCHED %lldms: procs=%d idleprocs=%d threads=%d spinningthreads=%d "
            "idlethreads=%d runqueue=%d gs=%lld parks=%lld handoffs=%lld unseen=%lld "
            "converted=%lld watched=%lld [",
        (long long)ms, procs, atomic_load(&mn_sched.npidle), threads,
        atomic_load(&mn_sched.nmspinning), idlethreads, atomic_load(&mn_sched.runqsize),
        (long long)atomic_load(&mn_sched.glive), (long long)parks,
        (long long)mn_sysmon_handoffs(), (long long)mn_sysmon_unseen_blocks(),
        (long long)mn_preempt_converted(), (long long)mn_watch_waits());
    for (int i = 0; i < procs; i++)
        mn_out_put(&o, "%s%u", i ? " " : "", mn_runq_len(&mn_sched.allp[i]->runq));
    mn_out_put(&o, "]\n");
    if (detail) {
        int64_t next = INT64_MAX, now = mn_nanotime();
        for (int i = 0; i < mn_sched.nallp; i++) {
            int64_t w = mn_timers_next(&mn_sched.allp[i]->timers);
            next = w < next ? w : next;
        }
        mn_out_put(&o, "  pollowner=%d pollwaiters=%d nexttimer=%s%lldms\n",
            atomic_load(&mn_sched.poll_owner), atomic_load(&mn_sched.netpoll_waiters),
            next == INT64_MAX ? "none " : "", next == INT64_MAX ? 0LL : (long long)((next - now) / 1000000));
    }
    if (detail) {
        for (int i = 0; i < procs; i++) {
            mn_p *p = mn_sched.allp[i];
            mn_m *m = p->m;
            enum mn_pstatus st = mn_pstate(p);
            mn_out_put(&o, "  P%d: status=%s schedtick=%u syscalltick=%u m=%d runqsize=%u timers=%d\n",
                i, st <= MN_P_DEAD ? pstatus[st] : "?", p->schedtick,
                atomic_load(&p->syscalltick), m && st != MN_P_IDLE ? m->id : -1,
                mn_runq_len(&p->runq), mn_timers_len(&p->timers));
        }
        mn_lock_acquire(&mn_sched.lock);
        for (mn_m *m = mn_sched.allm; m; m = m->allnext) {
            mn_p *p = m->p;
            mn_g *g = m->curg;
            mn_out_put(&o, "  M%d: tid=%d p=%d curg=%lld spinning=%d switches=%lld\n", m->id,
                (int)m->tid, p ? p->id : -1, g ? (long long)g->id : -1LL, m->spinning,
                (long long)m->switches);
        }
        mn_lock_release(&mn_sched.lock);
        mn_g_foreach(detail_g, &o);
    }
    mn_out_flush(&o);
}
