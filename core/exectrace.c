/* The execution trace's recording: see exectrace.h. */
#include "core/exectrace.h"

#include "compat/log.h"
#include "core/exectrace_file.h"
#include "core/futex.h"
#include "core/mem.h"
#include "core/sched_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <x86intrin.h>

#include "compat/backfill.h" /* after the system headers */

struct mn_xt_ring {
    _Atomic uint64_t head;           /* the next position: its writer's */
    uint64_t base;                   /* the first position of this process's (fork) */
    uint32_t size;                   /* a power of two */
    struct mn_xt_event ev[];
};

_Atomic bool mn_xtrace_on;
static _Atomic(struct mn_xt_ring *) rings[MN_MAX_PROCS + 1];
static mn_lock trace_lock = MN_LOCK_INIT(TRACE); /* the shared ring's writers */
/* The clock (exectrace.h): ticks of the TSC, or ns; a reading of both at
 * the start and when the file is written. */
static bool use_tsc;
static uint64_t tick0, tick1;
static int64_t ns0, ns1;

/* A ring, its pages made present now (where the kernel can: 5.14+), so
 * that recording takes no page faults (the shared ring is written under
 * trace_lock, often with sched.lock held). */
static struct mn_xt_ring *ring_new(uint32_t size)
{
    int saved = errno; /* the caller's may be a G's */
    size_t bytes = sizeof(struct mn_xt_ring) + size * sizeof(struct mn_xt_event);
    struct mn_xt_ring *r = mn_mem_alloc(bytes);
    if (r) {
        madvise(r, bytes, MADV_POPULATE_WRITE);
        r->size = size;
    }
    errno = saved;
    return r;
}

static inline uint64_t ticks(void)
{
    return use_tsc ? __rdtsc() : (uint64_t)mn_nanotime();
}

int64_t mn_xt_now(void)
{
    return (int64_t)ticks();
}

int64_t mn_xt_start_ns(void)
{
    return ns0;
}

static void clock_start(void)
{
    ns0 = mn_nanotime();
    tick0 = ticks();
}

/* Whether the kernel keeps time with the TSC: then it is invariant and
 * the same on every CPU. */
static bool tsc_clocksource(void)
{
    char buf[16] = {0};
    int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource",
                  O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 && strcmp(buf, "tsc\n") == 0;
}

void mn_xt_clock_freeze(void)
{
    tick1 = ticks();
    ns1 = mn_nanotime();
}

int64_t mn_xt_ns(int64_t t)
{
    if (!use_tsc || tick1 <= tick0)
        return t;
    __int128 d = (__int128)((uint64_t)t - tick0) * (ns1 - ns0) / (__int128)(tick1 - tick0);
    return ns0 + (int64_t)d;
}

void mn_xtrace_boot(const char *file)
{
    struct mn_xt_ring *shared = ring_new(MN_XT_SHARED);
    const char *why = shared ? mn_xt_file_claim(file) : "out of memory";
    if (why) {
        mn_warn("MNRT_TRACE=%s: %s; no execution trace", file, why);
        mn_mem_free(shared, shared ? sizeof *shared + MN_XT_SHARED * sizeof shared->ev[0] : 0);
        return;
    }
    atomic_store(&rings[MN_XT_SHARED_RING], shared);
    use_tsc = tsc_clocksource();
    clock_start();
    atomic_store(&mn_xtrace_on, true);
}

void mn_xtrace_fork_child(void)
{
    if (!atomic_load(&mn_xtrace_on))
        return;
    trace_lock = (mn_lock)MN_LOCK_INIT(TRACE);
    /* the parent's events stay where they are, before base: writing
     * nothing keeps the rings' pages shared with the parent */
    for (int i = 0; i <= MN_MAX_PROCS; i++) {
        struct mn_xt_ring *r = atomic_load(&rings[i]);
        if (r)
            r->base = atomic_load(&r->head);
    }
    clock_start();
    mn_xt_file_fork_child();
}

bool mn_xtrace_turn_off(void)
{
    return atomic_load(&mn_xtrace_on) && atomic_exchange(&mn_xtrace_on, false);
}

struct mn_xt_ring *mn_xt_ring(int index)
{
    return atomic_load(&rings[index]);
}

uint32_t mn_xt_ring_size(const struct mn_xt_ring *r)
{
    return r->size;
}

uint64_t mn_xt_ring_head(const struct mn_xt_ring *r)
{
    return atomic_load_explicit(&((struct mn_xt_ring *)r)->head, memory_order_acquire);
}

uint64_t mn_xt_ring_base(const struct mn_xt_ring *r)
{
    return r->base;
}

bool mn_xt_ring_read(const struct mn_xt_ring *r, uint64_t pos, struct mn_xt_event *out)
{
    const struct mn_xt_event *e = &r->ev[pos & (r->size - 1)];
    if (atomic_load_explicit(&((struct mn_xt_event *)e)->seq, memory_order_acquire) != pos + 1)
        return false;
    out->ts = e->ts;
    out->a = e->a;
    out->b = e->b;
    out->c = e->c;
    out->d = e->d;
    out->e = e->e;
    out->m = e->m;
    out->p = e->p;
    out->type = e->type;
    out->flags = e->flags;
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(&((struct mn_xt_event *)e)->seq, memory_order_relaxed) == pos + 1;
}

/* The P the calling thread holds RUNNING (its ring is the caller's to
 * write), or NULL. */
static mn_p *held_p(mn_m *m)
{
    mn_p *p = m ? m->p : NULL;
    if (p && atomic_load_explicit(&p->status, memory_order_relaxed) == mn_pword(m, MN_P_RUNNING))
        return p;
    return NULL;
}

/* Writes one event: into the ring of the P the caller holds, or the shared
 * one. about: the P it is about (-1: the caller's, if any). Returns where
 * it went (MN_XT_REF), or 0 if it was lost (no memory for the P's ring). */
static uint64_t record(int type, int flags, int about, uint64_t a, uint64_t b, uint64_t c,
                       uint64_t d, uint64_t e)
{
    mn_m *m = mn_current_m();
    mn_p *p = held_p(m);
    int index = p ? p->id : MN_XT_SHARED_RING;
    struct mn_xt_ring *r = atomic_load_explicit(&rings[index], memory_order_relaxed);
    if (!r) { /* the P's first event: only its holder gets here */
        if (!(r = ring_new(MN_XT_RING)))
            return 0;
        atomic_store(&rings[index], r);
    }
    if (!p)
        mn_lock_acquire(&trace_lock);
    uint64_t pos = atomic_load_explicit(&r->head, memory_order_relaxed);
    struct mn_xt_event *ev = &r->ev[pos & (r->size - 1)];
    atomic_store_explicit(&ev->seq, 0, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    ev->ts = (int64_t)ticks();
    ev->a = a;
    ev->b = b;
    ev->c = c;
    ev->d = d;
    ev->e = e;
    ev->m = m ? m->id : mn_monitor_thread() ? MN_XT_SYSMON : MN_XT_FOREIGN;
    ev->p = (int16_t)(about >= 0 ? about : p ? p->id : -1);
    ev->type = (uint8_t)type;
    ev->flags = (uint8_t)flags;
    atomic_store_explicit(&ev->seq, pos + 1, memory_order_release);
    atomic_store_explicit(&r->head, pos + 1, memory_order_release);
    if (!p)
        mn_lock_release(&trace_lock);
    return MN_XT_REF(index, pos);
}

static int64_t gid(const mn_g *g)
{
    return g ? g->id : 0;
}

void mn_xt_rec_ready(mn_g *g, bool create)
{
    mn_m *m = mn_current_m();
    mn_g *self = mn_getg();
    int flags = m && m->reaping ? MN_XT_BY_POLL : 0;
    g->xt_ready = create ? record(MN_XT_CREATE, 0, -1, (uint64_t)g->id, (uint64_t)gid(self), 0, 0, 0)
                         : record(MN_XT_READY, flags, -1, (uint64_t)g->id,
                                  (uint64_t)(uintptr_t)g->wait_reason, (uint64_t)gid(self), 0, 0);
}

void mn_xt_rec_start(mn_m *m, mn_g *g)
{
    (void)m; /* the caller is m: record finds it */
    uint64_t name[2];
    memcpy(name, g->name, sizeof name);
    record(MN_XT_START, 0, -1, (uint64_t)g->id, g->xt_ready, name[0], name[1], 0);
    g->xt_ready = 0;
}

void mn_xt_rec_stop(mn_g *g, enum mn_m_action action)
{
    int kind;
    const char *why = NULL;
    switch (action) {
    case MN_ACT_PARK:
        kind = MN_XT_PARK;
        why = g->wait_reason;
        break;
    case MN_ACT_PREEMPTED:
        kind = MN_XT_PREEMPTED;
        break;
    case MN_ACT_YIELD:
        kind = MN_XT_YIELD;
        break;
    case MN_ACT_YIELD_GLOBAL:
    case MN_ACT_YIELD_TURN:
    case MN_ACT_YIELD_NEXT:
        kind = MN_XT_YIELD;
        break;
    case MN_ACT_EXIT:
        kind = MN_XT_EXIT;
        break;
    case MN_ACT_CALL:
        kind = MN_XT_CALL;
        break;
    default: /* MN_ACT_QUEUE: it left a system call and found no P */
        kind = MN_XT_NO_P;
        break;
    }
    record(MN_XT_STOP, kind, -1, (uint64_t)g->id, (uint64_t)(uintptr_t)why, 0, 0, 0);
}

void mn_xt_rec_steal(mn_m *m, int victim, mn_g *g)
{
    record(MN_XT_STEAL, 0, -1, (uint64_t)g->id, (uint64_t)victim,
           1 + (m->p ? mn_runq_len(&m->p->runq) : 0), 0, 0);
}

void mn_xt_rec_handoff(mn_p *p, uint64_t word, bool unseen)
{
    /* the M and G it had, read racily: Ms are never freed, and a G's
     * memory is given back only by sysmon, the caller (core/gcache.h) */
    mn_m *m = p->m;
    mn_g *g = m ? m->curg : NULL;
    record(MN_XT_HANDOFF, unseen, p->id, (uint64_t)gid(g), (word >> 32) - 1, 0, 0, 0);
}

void mn_xt_rec_preempt(mn_p *p, mn_m *m, mn_g *g)
{
    record(MN_XT_PREEMPT, 0, p->id, (uint64_t)gid(g), (uint64_t)m->id, 0, 0, 0);
}

void mn_xt_rec_netpoll(int64_t since, int64_t readied)
{
    record(MN_XT_NETPOLL, 0, -1, (uint64_t)since, (uint64_t)readied, 0, 0, 0);
}

void mn_xt_rec_p(mn_p *p, mn_m *m, bool busy)
{
    record(busy ? MN_XT_P_BUSY : MN_XT_P_IDLE, 0, p->id, (uint64_t)(m ? m->id : -1), 0, 0, 0, 0);
}

void mn_xt_rec_m(mn_m *m, enum mn_xt_type type, int64_t since, int64_t readied, int kind)
{
    uint64_t a = type == MN_XT_M_START ? (uint64_t)m->tid : (uint64_t)since;
    record(type, kind, -1, a, (uint64_t)readied, 0, 0, 0);
}
