/* Waiters: see waiter.h. */
#include "core/waiter.h"

#include "core/futex.h"
#include "core/runtime.h"
#include "core/signals.h"
#include "core/testpoint.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

void mn_waiter_init(struct mn_waiter *w, const char *reason)
{
    atomic_store_explicit(&w->state, MN_WAITER_QUEUED, memory_order_relaxed);
    w->result = 0;
    w->g = mn_getg();
    w->cancel = NULL;
    w->reason = reason;
    w->intr = false;
    w->cancel_point = false;
    atomic_store_explicit(&w->claimed, false, memory_order_relaxed);
    w->queued = false;
    w->addr = NULL;
    w->obj = NULL;
    w->num = 0;
    w->until = INT64_MIN;
}

bool mn_waiter_cancel_once(struct mn_waiter *w)
{
    return !atomic_exchange(&w->claimed, true);
}

void mn_waiter_wake(struct mn_waiter *w)
{
    struct mn_g *g = w->g;
    if (!g) {
        atomic_store_explicit(&w->state, MN_WAITER_WOKEN, memory_order_release);
        mn_futex_wake(&w->state, 1, false);
        return;
    }
    if (atomic_exchange_explicit(&w->state, MN_WAITER_WOKEN, memory_order_acq_rel) ==
        MN_WAITER_PARKED)
        mn_ready(g);
}

static bool commit_park(mn_g *g, void *arg)
{
    (void)g;
    struct mn_waiter *w = arg;
    uint32_t queued = MN_WAITER_QUEUED;
    return atomic_compare_exchange_strong_explicit(&w->state, &queued, MN_WAITER_PARKED,
                                                   memory_order_acq_rel, memory_order_acquire);
}

static void on_deadline(struct mn_timer *t)
{
    struct mn_waiter *w = t->arg;
    MN_TEST_POINT(MN_TP_WAITER_DEADLINE, w);
    if (!w->cancel || w->cancel(w)) {
        w->result = ETIMEDOUT;
        mn_waiter_wake(w);
    }
}

/* What the G waits for, for thread dumps: kept in the G, since the
 * waiter's memory (the G's stack) may be gone when a dump reads it. */
static void note_wait(struct mn_waiter *w, int64_t deadline_ns)
{
    mn_g *g = w->g;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now); /* a few ns: the vDSO's */
    g->wait_since = mn_timespec_ns(&now);
    g->wait_until = w->until == INT64_MIN ? deadline_ns : w->until;
    g->wait_obj = w->obj ? w->obj : w->addr;
    g->wait_num = w->num;
}

static int block_g_timed(struct mn_waiter *w, int64_t deadline_ns)
{
    struct mn_timer timer = {0};
    bool timed = deadline_ns >= 0;
    if (timed && mn_timer_start(&timer, deadline_ns, on_deadline, w) != 0) {
        /* no memory for the timer heap: poll the deadline instead */
        while (atomic_load_explicit(&w->state, memory_order_acquire) != MN_WAITER_WOKEN) {
            if (mn_nanotime() >= deadline_ns && (!w->cancel || w->cancel(w))) {
                w->result = ETIMEDOUT;
                return ETIMEDOUT;
            }
            mn_yield();
        }
        return w->result;
    }
    note_wait(w, deadline_ns);
    mn_park(commit_park, w, w->reason);
    if (timed)
        mn_timer_del(&timer);
    return w->result;
}

static int block_g(struct mn_waiter *w, int64_t deadline_ns)
{
    if (w->intr && !mn_sig_wait_begin(w) && w->cancel(w)) {
        /* A signal it takes is pending: no wait. Its handler runs here,
         * as it would have as the G woke: it may have been left pending
         * for this entry into mnrt (it came while the G held a lock of
         * mnrt's), and a caller that waits again after a handler
         * (pthread_join, a mutex) would find it pending for good. */
        w->result = EINTR;
        mn_sig_deliver_pending();
        return EINTR;
    }
    if (w->intr)
        MN_TEST_POINT(MN_TP_WAIT_INTR_BEGUN, w);
    int r = block_g_timed(w, deadline_ns);
    if (w->intr)
        mn_sig_wait_end(w);
    return r;
}

static int block_foreign(struct mn_waiter *w, int64_t deadline_ns)
{
    for (;;) {
        uint32_t s = atomic_load_explicit(&w->state, memory_order_acquire);
        if (s == MN_WAITER_WOKEN)
            return w->result;
        int r = mn_futex_wait(&w->state, s, deadline_ns, false);
        if (r == ETIMEDOUT)
            MN_TEST_POINT(MN_TP_WAITER_DEADLINE, w);
        if (r == ETIMEDOUT && w->cancel && w->cancel(w)) {
            w->result = ETIMEDOUT;
            return ETIMEDOUT;
        }
        if (r == ETIMEDOUT && !w->cancel)
            return ETIMEDOUT;
        if (r == ETIMEDOUT)
            deadline_ns = -1; /* a waker won the race: its wake is imminent */
    }
}

int mn_waiter_block(struct mn_waiter *w, int64_t deadline_ns)
{
    if (w->g)
        return block_g(w, deadline_ns);
    return block_foreign(w, deadline_ns);
}

void mn_waiter_nap(const char *reason, int64_t ns)
{
    struct mn_waiter w;
    mn_waiter_init(&w, reason);
    mn_waiter_block(&w, mn_nanotime() + ns);
}
