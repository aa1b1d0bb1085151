/* Timer heaps: a 4-ary min-heap on `when`; see timer.h. */
#include "core/timer.h"

#include "core/mem.h"
#include "core/testpoint.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>

void mn_timers_init(struct mn_timers *ts)
{
    ts->lock = (mn_lock)MN_LOCK_INIT(TIMERS);
    ts->h = NULL;
    ts->n = ts->cap = 0;
    atomic_store(&ts->next_when, INT64_MAX);
    atomic_store(&ts->firing, 0);
}

void mn_timers_forget(struct mn_timers *ts)
{
    mn_mem_free(ts->h, (size_t)ts->cap * sizeof *ts->h);
    mn_timers_init(ts);
}

/* A 4-ary heap whose entries hold each timer's deadline beside it, as
 * Go's do: a sift compares entries in the array alone, and touches a
 * timer only to note its new place. With thousands of timers (one per
 * sleeping thread, each in its own thread's memory) the binary heap of
 * pointers read a cold timer at each of its twice as many levels. */
#define ARITY 4

static void place(struct mn_timers *ts, int32_t i, struct mn_timer_slot e)
{
    ts->h[i] = e;
    e.t->index = i;
}

static void sift_up(struct mn_timers *ts, int32_t i)
{
    struct mn_timer_slot e = ts->h[i];
    while (i > 0) {
        int32_t parent = (i - 1) / ARITY;
        if (ts->h[parent].when <= e.when)
            break;
        place(ts, i, ts->h[parent]);
        i = parent;
    }
    place(ts, i, e);
}

static void sift_down(struct mn_timers *ts, int32_t i)
{
    struct mn_timer_slot e = ts->h[i];
    for (;;) {
        int32_t first = ARITY * i + 1;
        if (first >= ts->n)
            break;
        int32_t c = first, end = first + ARITY < ts->n ? first + ARITY : ts->n;
        for (int32_t k = first + 1; k < end; k++)
            if (ts->h[k].when < ts->h[c].when)
                c = k;
        if (e.when <= ts->h[c].when)
            break;
        place(ts, i, ts->h[c]);
        i = c;
    }
    place(ts, i, e);
}

static void publish_next(struct mn_timers *ts)
{
    atomic_store_explicit(&ts->next_when, ts->n ? ts->h[0].when : INT64_MAX,
                          memory_order_release);
}

static void remove_at(struct mn_timers *ts, int32_t i)
{
    struct mn_timer_slot last = ts->h[--ts->n];
    if (i < ts->n) {
        place(ts, i, last);
        sift_down(ts, i);
        sift_up(ts, last.t->index);
    }
}

static int insert_locked(struct mn_timers *ts, struct mn_timer *t)
{
    if (ts->n == ts->cap) {
        int32_t cap = ts->cap ? ts->cap * 2 : 64;
        struct mn_timer_slot *h =
            mn_mem_realloc(ts->h, (size_t)ts->cap * sizeof *h, (size_t)cap * sizeof *h);
        if (!h)
            return ENOMEM;
        ts->h = h;
        ts->cap = cap;
    }
    t->heap = ts;
    place(ts, ts->n++, (struct mn_timer_slot){t->when, t});
    sift_up(ts, t->index);
    atomic_store_explicit(&t->state, MN_TIMER_WAITING, memory_order_release);
    return 0;
}

int mn_timer_add(struct mn_timers *ts, struct mn_timer *t, int64_t when, mn_timer_fn fn,
                 void *arg)
{
    t->when = when;
    t->fn = fn;
    t->arg = arg;
    mn_lock_acquire(&ts->lock);
    int err = insert_locked(ts, t);
    publish_next(ts);
    mn_lock_release(&ts->lock);
    return err;
}

bool mn_timer_del(struct mn_timer *t)
{
    for (;;) {
        int state = atomic_load_explicit(&t->state, memory_order_acquire);
        if (state == MN_TIMER_IDLE)
            return false;
        if (state == MN_TIMER_RUNNING) {
            /* fn is short (it takes a lock and readies a G): wait it out */
            for (int i = 0; atomic_load_explicit(&t->state, memory_order_acquire) ==
                            MN_TIMER_RUNNING; i++) {
                MN_TEST_POINT(MN_TP_TIMER_DEL_WAITS, t);
                if (i < 100)
                    mn_cpu_relax();
                else
                    sched_yield();
            }
            return false;
        }
        struct mn_timers *ts = t->heap;
        MN_TEST_POINT(MN_TP_TIMER_DEL_LOCK, t);
        mn_lock_acquire(&ts->lock);
        if (atomic_load_explicit(&t->state, memory_order_relaxed) == MN_TIMER_WAITING &&
            t->heap == ts) {
            remove_at(ts, t->index);
            publish_next(ts);
            atomic_store_explicit(&t->state, MN_TIMER_IDLE, memory_order_release);
            mn_lock_release(&ts->lock);
            return true;
        }
        mn_lock_release(&ts->lock); /* it moved or started running: look again */
    }
}

int mn_timers_run(struct mn_timers *ts, int64_t now)
{
    if (mn_timers_next(ts) > now)
        return 0;
    int ran = 0;
    mn_lock_acquire(&ts->lock);
    while (ts->n > 0 && ts->h[0].when <= now) {
        struct mn_timer *t = ts->h[0].t;
        atomic_fetch_add_explicit(&ts->firing, 1, memory_order_relaxed); /* published below */
        remove_at(ts, 0);
        publish_next(ts);
        atomic_store_explicit(&t->state, MN_TIMER_RUNNING, memory_order_relaxed);
        mn_lock_release(&ts->lock);
        MN_TEST_POINT(MN_TP_TIMER_FIRE, t);
        t->fn(t);
        atomic_store_explicit(&t->state, MN_TIMER_IDLE, memory_order_release);
        atomic_fetch_sub_explicit(&ts->firing, 1, memory_order_release); /* after fn's effects */
        ran++;
        mn_lock_acquire(&ts->lock);
    }
    mn_lock_release(&ts->lock);
    return ran;
}

bool mn_timers_idle(struct mn_timers *ts)
{
    return atomic_load_explicit(&ts->next_when, memory_order_acquire) == INT64_MAX &&
           atomic_load_explicit(&ts->firing, memory_order_acquire) == 0;
}

int32_t mn_timers_len(struct mn_timers *ts)
{
    mn_lock_acquire(&ts->lock);
    int32_t n = ts->n;
    mn_lock_release(&ts->lock);
    return n;
}

int mn_timers_move(struct mn_timers *to, struct mn_timers *from)
{
    /* two heap locks: taken in address order */
    struct mn_timers *first = to < from ? to : from, *second = to < from ? from : to;
    mn_lock_acquire(&first->lock);
    mn_lock_acquire(&second->lock);
    int err = 0;
    while (from->n > 0 && !err) {
        struct mn_timer *t = from->h[from->n - 1].t;
        err = insert_locked(to, t);
        if (!err)
            from->n--;
    }
    publish_next(from);
    publish_next(to);
    mn_lock_release(&second->lock);
    mn_lock_release(&first->lock);
    return err;
}
