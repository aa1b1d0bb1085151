/* Per-P run queue: see runq.h. The algorithm is Go's (runqput, runqget,
 * runqgrab, runqsteal), written for C11 atomics. */
#include "core/runq.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "core/lock.h"

#include <stddef.h>
#include <sys/syscall.h>
#include <time.h>

#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release

static inline struct mn_g *slot_get(struct mn_runq *q, uint32_t i)
{
    return atomic_load_explicit(&q->ring[i % MN_RUNQ_SIZE], RELAXED);
}

static inline void slot_set(struct mn_runq *q, uint32_t i, struct mn_g *g)
{
    atomic_store_explicit(&q->ring[i % MN_RUNQ_SIZE], g, RELAXED);
}

/* Moves g and half of the full ring to overflow; false if a thief raced. */
static int put_slow(struct mn_runq *q, struct mn_g *g, uint32_t h, uint32_t t,
                    struct mn_g **overflow)
{
    uint32_t n = (t - h) / 2;
    if (n != MN_RUNQ_SIZE / 2)
        mn_fatal("runq_put: queue is not full");
    for (uint32_t i = 0; i < n; i++)
        overflow[i] = slot_get(q, h + i);
    if (!atomic_compare_exchange_strong_explicit(&q->head, &h, h + n, RELEASE, RELAXED))
        return 0;
    overflow[n] = g;
    return (int)n + 1;
}

int mn_runq_put(struct mn_runq *q, struct mn_g *g, bool next, struct mn_g **overflow)
{
    if (next) {
        struct mn_g *old = atomic_exchange_explicit(&q->runnext, g, memory_order_acq_rel);
        if (!old)
            return 0;
        g = old; /* the previous runnext goes to the tail */
    }
    for (;;) {
        uint32_t h = atomic_load_explicit(&q->head, ACQUIRE);
        uint32_t t = atomic_load_explicit(&q->tail, RELAXED);
        if (t - h < MN_RUNQ_SIZE) {
            slot_set(q, t, g);
            atomic_store_explicit(&q->tail, t + 1, RELEASE);
            return 0;
        }
        int moved = put_slow(q, g, h, t, overflow);
        if (moved)
            return moved;
    }
}

struct mn_g *mn_runq_get(struct mn_runq *q, bool *from_next)
{
    struct mn_g *next = atomic_load_explicit(&q->runnext, RELAXED);
    if (next && atomic_compare_exchange_strong_explicit(&q->runnext, &next, NULL,
                                                        memory_order_acq_rel, RELAXED)) {
        *from_next = true;
        return next;
    }
    *from_next = false;
    for (;;) {
        uint32_t h = atomic_load_explicit(&q->head, ACQUIRE);
        uint32_t t = atomic_load_explicit(&q->tail, RELAXED);
        if (t == h)
            return NULL;
        struct mn_g *g = slot_get(q, h);
        if (atomic_compare_exchange_weak_explicit(&q->head, &h, h + 1, RELEASE, RELAXED))
            return g;
    }
}

int mn_runq_demote_next(struct mn_runq *q, struct mn_g **overflow)
{
    struct mn_g *g = atomic_exchange_explicit(&q->runnext, NULL, memory_order_acq_rel);
    return g ? mn_runq_put(q, g, false, overflow) : 0;
}

void mn_runq_rotate(struct mn_runq *q, uint32_t n)
{
    while (n > 0) {
        uint32_t h = atomic_load_explicit(&q->head, ACQUIRE);
        uint32_t t = atomic_load_explicit(&q->tail, RELAXED);
        if (t == h)
            return;
        struct mn_g *g = slot_get(q, h);
        if (!atomic_compare_exchange_weak_explicit(&q->head, &h, h + 1, RELEASE, RELAXED))
            continue; /* a thief took it */
        slot_set(q, t, g); /* free: the ring has one G fewer now */
        atomic_store_explicit(&q->tail, t + 1, RELEASE);
        n--;
    }
}

/* Copies about half of victim's Gs into dst's ring starting at dst_tail;
 * returns how many (dst's tail is not published here). */
static uint32_t grab(struct mn_runq *victim, struct mn_runq *dst, uint32_t dst_tail,
                     bool steal_next, bool victim_running)
{
    for (;;) {
        uint32_t h = atomic_load_explicit(&victim->head, ACQUIRE);
        uint32_t t = atomic_load_explicit(&victim->tail, ACQUIRE);
        uint32_t n = t - h;
        n = n - n / 2;
        if (n == 0) {
            if (!steal_next)
                return 0;
            struct mn_g *next = atomic_load_explicit(&victim->runnext, RELAXED);
            if (!next)
                return 0;
            if (victim_running) {
                /* Let the victim run its runnext itself if it is about to:
                 * a G that readies another and then parks (a ping-pong)
                 * keeps both on its P. Sleep rather than spin, as Go does
                 * (usleep(3)): docs/design.md §5 has why and the figures. */
                struct timespec ts = {0, 3000};
                mn_raw_syscall(SYS_nanosleep, &ts, NULL);
            }
            if (!atomic_compare_exchange_strong_explicit(&victim->runnext, &next, NULL,
                                                         memory_order_acq_rel, RELAXED))
                continue;
            slot_set(dst, dst_tail, next);
            return 1;
        }
        if (n > MN_RUNQ_SIZE / 2)
            continue; /* read an inconsistent head/tail pair */
        for (uint32_t i = 0; i < n; i++)
            slot_set(dst, dst_tail + i, slot_get(victim, h + i));
        if (atomic_compare_exchange_weak_explicit(&victim->head, &h, h + n, RELEASE, RELAXED))
            return n;
    }
}

struct mn_g *mn_runq_steal(struct mn_runq *dst, struct mn_runq *victim, bool steal_next,
                           bool victim_running)
{
    uint32_t t = atomic_load_explicit(&dst->tail, RELAXED);
    uint32_t n = grab(victim, dst, t, steal_next, victim_running);
    if (n == 0)
        return NULL;
    n--;
    struct mn_g *g = slot_get(dst, t + n);
    if (n == 0)
        return g;
    uint32_t h = atomic_load_explicit(&dst->head, ACQUIRE);
    if (t - h + n >= MN_RUNQ_SIZE)
        mn_fatal("runq_steal: destination overflow");
    atomic_store_explicit(&dst->tail, t + n, RELEASE);
    return g;
}

bool mn_runq_empty(struct mn_runq *q)
{
    /* head, tail and runnext are read separately: retry until a
     * consistent view (Go's runqempty). */
    for (;;) {
        uint32_t h = atomic_load_explicit(&q->head, ACQUIRE);
        uint32_t t = atomic_load_explicit(&q->tail, ACQUIRE);
        struct mn_g *next = atomic_load_explicit(&q->runnext, ACQUIRE);
        if (atomic_load_explicit(&q->tail, ACQUIRE) == t)
            return h == t && next == NULL;
    }
}

uint32_t mn_runq_len(struct mn_runq *q)
{
    uint32_t h = atomic_load_explicit(&q->head, ACQUIRE);
    uint32_t t = atomic_load_explicit(&q->tail, ACQUIRE);
    uint32_t n = t - h;
    return (n > MN_RUNQ_SIZE ? 0 : n) + (atomic_load_explicit(&q->runnext, RELAXED) ? 1 : 0);
}
