/* Timer heaps (docs/design.md §7: each P owns one). A timer calls fn(t) once at
 * or after t->when (CLOCK_MONOTONIC ns). Used for sleeps and timed waits.
 *
 * Invariants:
 * - A heap is guarded by its lock; `next_when` (the earliest deadline, or
 *   INT64_MAX) may be read without it, as a hint.
 * - A timer is in at most one heap. Its state says where it is:
 *   IDLE (nowhere), WAITING (in `heap`), RUNNING (fn being called).
 * - fn runs without the heap lock and must not block for long; it may take
 *   other mnrt locks. After fn returns the timer is not touched again by
 *   the heap, so the owner may free it once mn_timer_del has returned.
 * - `firing` counts the timers taken out of the heap whose fn has not
 *   returned: raised before `next_when` stops naming it, lowered after fn,
 *   so a heap that looks empty while a wake-up is still on its way is not
 *   idle (mn_timers_idle: the deadlock check saw every heap empty and the
 *   sleeper still asleep, between the two). */
#ifndef MN_CORE_TIMER_H
#define MN_CORE_TIMER_H

#include "core/lock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct mn_timer;
struct mn_timers;
typedef void (*mn_timer_fn)(struct mn_timer *);

enum { MN_TIMER_IDLE, MN_TIMER_WAITING, MN_TIMER_RUNNING };

struct mn_timer {
    int64_t when;
    mn_timer_fn fn;
    void *arg;
    int32_t index;               /* position in the heap, under its lock */
    _Atomic int state;
    struct mn_timers *heap;      /* where it was added */
};

/* A heap entry: the timer's deadline, read by the sifts without the timer */
struct mn_timer_slot {
    int64_t when;
    struct mn_timer *t;
};

struct mn_timers {
    mn_lock lock;
    struct mn_timer_slot *h;
    int32_t n, cap;
    _Atomic int64_t next_when;
    _Atomic int32_t firing;
};

void mn_timers_init(struct mn_timers *ts);
/* In the child of fork: drops every timer (they belonged to threads that
 * do not exist there) and the heap's memory; the heap is empty, unlocked. */
void mn_timers_forget(struct mn_timers *ts);
/* Adds an IDLE timer. Returns 0, or ENOMEM (the timer stays IDLE). */
int mn_timer_add(struct mn_timers *ts, struct mn_timer *t, int64_t when, mn_timer_fn fn,
                 void *arg);
/* Removes a timer. Returns true if it was still waiting (fn will not run);
 * false if fn already ran or was running: then it waits until fn returned. */
bool mn_timer_del(struct mn_timer *t);
/* Runs the timers due at `now`; returns how many ran. */
int mn_timers_run(struct mn_timers *ts, int64_t now);
/* Whether ts holds no timer and none of its timers is firing (without the
 * lock: an answer for that moment). */
bool mn_timers_idle(struct mn_timers *ts);
/* Earliest deadline, INT64_MAX when empty (a hint: no lock). */
static inline int64_t mn_timers_next(struct mn_timers *ts)
{
    return atomic_load_explicit(&ts->next_when, memory_order_acquire);
}
int32_t mn_timers_len(struct mn_timers *ts);
/* Moves every waiting timer of `from` into `to` (a P that goes away).
 * Returns 0, or ENOMEM with the rest left in `from`. */
int mn_timers_move(struct mn_timers *to, struct mn_timers *from);

#endif
