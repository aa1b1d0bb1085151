/* The live view's snapshot: see stats.h. */
#include "core/stats.h"

#include "compat/raw_syscall.h"
#include "core/cputime.h"
#include "core/dump.h"
#include "core/futex.h"
#include "core/outbuf.h"
#include "core/preempt.h"
#include "core/sched_internal.h"
#include "core/sysmon.h"
#include "core/watch.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#ifndef MNRT_VERSION
#define MNRT_VERSION "unknown"
#endif

#define WATCH_NS (3LL * 1000 * 1000 * 1000)
#define CPU_TOP 5
#define MAX_REASONS 64
#define MAX_MS 100000
#define MAX_GS (1L << 24)

_Atomic bool mn_stats_watch;
_Atomic int64_t mn_stats_netpoll_woken;
static _Atomic int64_t watch_until;

/* ---- sampling (sysmon) ---- */

static struct {
    int64_t busy, total;   /* ns sampled busy, and sampled at all */
    bool was_busy;         /* at the last sample */
} samples[MN_MAX_PROCS];
static int64_t sampled_at; /* the last sample, 0: none since watching began */

static bool p_busy(const mn_p *p)
{
    enum mn_pstatus st = mn_pstate(p);
    return st != MN_P_IDLE && st != MN_P_DEAD;
}

void mn_stats_sample(int64_t now)
{
    if (!mn_stats_watched())
        return;
    if (now > atomic_load(&watch_until)) {
        atomic_store(&mn_stats_watch, false);
        sampled_at = 0;
        return;
    }
    int procs = atomic_load(&mn_sched.procs);
    for (int i = 0; i < procs; i++) {
        if (sampled_at) {
            samples[i].total += now - sampled_at;
            if (samples[i].was_busy)
                samples[i].busy += now - sampled_at;
        }
        samples[i].was_busy = p_busy(mn_sched.allp[i]);
    }
    sampled_at = now;
}

/* ---- the threads ---- */

struct busiest {
    int64_t id, delta, total;
    char name[16];
};

struct gcount {
    int64_t running, runnable, syscall, waiting, exiting;
    int nreasons;
    const char *reason[MAX_REASONS];
    int64_t waits[MAX_REASONS];
    int accounted, nbusiest;
    struct busiest busiest[CPU_TOP];
};

static void count_reason(struct gcount *c, const char *r)
{
    r = r ? r : "unknown";
    int i = 0;
    while (i < c->nreasons && c->reason[i] != r && strcmp(c->reason[i], r) != 0)
        i++;
    if (i == c->nreasons) {
        if (i == MAX_REASONS)
            i--; /* the last one counts the rest */
        else
            c->reason[c->nreasons++] = r;
    }
    c->waits[i]++;
}

/* g's CPU time since the previous snapshot, among the busiest. */
static void count_cpu(struct gcount *c, mn_g *g)
{
    int64_t cpu = mn_cputime_of(g);
    if (cpu < 0)
        return;
    c->accounted++;
    int64_t id = g->id;
    int64_t delta = cpu - (g->stats_id == id ? g->stats_cpu : 0);
    g->stats_cpu = cpu;
    g->stats_id = id;
    int n = c->nbusiest, k = n;
    while (k > 0 && c->busiest[k - 1].delta < delta)
        k--;
    if (k == CPU_TOP)
        return;
    int keep = n < CPU_TOP ? n : CPU_TOP - 1; /* the ones before it stay, the last may go */
    memmove(&c->busiest[k + 1], &c->busiest[k], (size_t)(keep - k) * sizeof c->busiest[0]);
    c->busiest[k] = (struct busiest){.id = id, .delta = delta, .total = cpu};
    mn_dump_name(c->busiest[k].name, g->name);
    if (n < CPU_TOP)
        c->nbusiest++;
}

static bool count_g(mn_g *g, void *arg)
{
    struct gcount *c = arg;
    switch (atomic_load(&g->status)) {
    case MN_G_RUNNING:
        if (g->m && g->syscall_depth > 0)
            c->syscall++;
        else
            c->running++;
        break;
    case MN_G_IDLE: /* made, not started yet */
    case MN_G_RUNNABLE:
        c->runnable++;
        break;
    case MN_G_WAITING:
        c->waiting++;
        count_reason(c, g->wait_reason);
        break;
    default:
        c->exiting++;
        return true;
    }
    if (atomic_load_explicit(&g->cpu_on, memory_order_relaxed))
        count_cpu(c, g);
    return true;
}

/* ---- the kernel threads ---- */

struct mcount {
    int64_t switches, parks;
    int running, blocked, syscall, handed_off, polling;
};

static void count_ms(struct mcount *c)
{
    c->switches = mn_sched.retired_switches;
    c->parks = mn_sched.retired_parks;
    int n = 0;
    for (mn_m *m = mn_sched.allm; m && n < MAX_MS; m = m->allnext, n++) {
        c->switches += m->switches;
        c->parks += m->parks;
        mn_g *g = m->curg;
        if (!g) {
            c->polling += m->polling; /* asleep in the netpoller, for timers too */
            continue;
        }
        bool has_p = mn_p_held_by(m->p, m);
        if (g->syscall_depth > 0) {
            c->syscall++;
            c->handed_off += !has_p;
        } else if (has_p) {
            c->running++;
        } else {
            c->blocked++; /* where mnrt does not see: sysmon took its P */
        }
    }
}

/* ---- the snapshot ---- */

static const char *const pstate_names[] = {"idle", "sched", "user", "syscall", "dead"};

static void put_ps(struct mn_out *o)
{
    int procs = atomic_load(&mn_sched.procs);
    for (int i = 0; i < procs; i++) {
        mn_p *p = mn_sched.allp[i];
        uint64_t w = atomic_load(&p->status);
        uint32_t st = (uint32_t)w, owner = (uint32_t)(w >> 32);
        mn_m *m = p->m;
        mn_g *g = m && owner && owner == (uint32_t)m->id + 1 && st != MN_P_IDLE ? m->curg : NULL;
        char name[16] = "";
        if (g)
            mn_dump_name(name, g->name);
        mn_out_put(o, "p %d %s %u %d %lld %lld %lld %s\n", i,
            st <= MN_P_DEAD ? pstate_names[st] : "?", mn_runq_len(&p->runq),
            owner ? (int)owner - 1 : -1, g ? (long long)g->id : -1LL,
            (long long)samples[i].busy, (long long)samples[i].total, name);
    }
}

static _Atomic bool busy;
static int64_t last_snapshot;

void mn_stats_fork_child(void)
{
    atomic_store(&busy, false);
    atomic_store(&mn_stats_watch, false);
    atomic_store(&mn_stats_netpoll_woken, 0);
    memset(samples, 0, sizeof samples);
    sampled_at = last_snapshot = 0;
}

int mn_stats_write(int fd, bool sock)
{
    if (atomic_exchange(&busy, true))
        return EBUSY; /* one at a time: the tool asks again */
    int64_t now = mn_nanotime();
    atomic_store(&watch_until, now + WATCH_NS);
    atomic_store(&mn_stats_watch, true);
    struct gcount g;
    memset(&g, 0, sizeof g);
    mn_g_walk(count_g, &g, MAX_GS);
    struct mcount m;
    memset(&m, 0, sizeof m);
    count_ms(&m);
    struct mn_out o = {.fd = fd, .sock = sock};
    mn_out_put(&o, MN_STATS_HEADER "version " MNRT_VERSION "\npid %d\nuptime_ns %lld\n",
        (int)mn_raw_syscall(SYS_getpid), (long long)(now - mn_sched.start_ns));
    mn_out_put(&o, "procs %d\nidle_procs %d\nrunq %d\n", atomic_load(&mn_sched.procs),
        atomic_load(&mn_sched.npidle), atomic_load(&mn_sched.runqsize));
    mn_out_put(&o, "ms %d\nidle_ms %d\npolling_ms %d\nspinning_ms %d\nrunning_ms %d\n"
                   "blocked_ms %d\nsyscall_ms %d\nhanded_off_ms %d\nsysmon %d\n",
        mn_sched.mcount, mn_sched.nmidle, m.polling, atomic_load(&mn_sched.nmspinning),
        m.running, m.blocked, m.syscall, m.handed_off, mn_sysmon_running());
    mn_out_put(&o, "threads %lld\ncreated %lld\nrunning %lld\nrunnable %lld\nsyscall %lld\n"
                   "waiting %lld\nexiting %lld\n",
        (long long)atomic_load(&mn_sched.glive), (long long)atomic_load(&mn_sched.gcreated),
        (long long)g.running, (long long)g.runnable, (long long)g.syscall,
        (long long)g.waiting, (long long)g.exiting);
    for (int i = 0; i < g.nreasons; i++)
        mn_out_put(&o, "wait %lld %s\n", (long long)g.waits[i], g.reason[i]);
    mn_out_put(&o, "switches %lld\nparks %lld\npreemptions %lld\nhandoffs %lld\nunseen %lld\n"
                   "converted %lld\nwatched %lld\nnetpoll_woken %lld\nnetpoll_waiters %d\n",
        (long long)m.switches, (long long)m.parks, (long long)mn_preempt_count(),
        (long long)mn_sysmon_handoffs(), (long long)mn_sysmon_unseen_blocks(),
        (long long)mn_preempt_converted(), (long long)mn_watch_waits(),
        (long long)atomic_load(&mn_stats_netpoll_woken),
        atomic_load(&mn_sched.netpoll_waiters));
    put_ps(&o);
    mn_out_put(&o, "cpu_accounted %d\ncpu_all %d\ncpu_interval_ns %lld\n", g.accounted,
        mn_cputime_all, (long long)(now - (last_snapshot ? last_snapshot : mn_sched.start_ns)));
    for (int i = 0; i < g.nbusiest; i++)
        mn_out_put(&o, "cpu %lld %lld %lld %s\n", (long long)g.busiest[i].id,
            (long long)g.busiest[i].delta, (long long)g.busiest[i].total, g.busiest[i].name);
    mn_out_put(&o, MN_STATS_END);
    mn_out_flush(&o);
    last_snapshot = now;
    atomic_store(&busy, false);
    return o.err;
}
