/* Process-shared condition variables, in glibc's layout and with its
 * protocol (an ABI: a process mnrt does not run may wait or signal on the
 * same condvar), as glibc 2.36 describes it in pthread_cond_wait.c and
 * pthread_cond_common.c; written anew for mnrt's waits. In short:
 *
 * - __wseq: each waiter takes a position (fetch-add 2); its low bit is
 *   the slot (0 or 1) of G2, the group new waiters join. __g1_start: where
 *   G1, the group signals go to, starts (low bit: G2's slot again).
 * - Per slot: __g_signals, signals available (2 each; low bit: the group
 *   is closed) and the futex word waiters sleep on while it is 0;
 *   __g_refs, waiters using that futex (2 each; low bit: a signaler waits
 *   for them to leave); __g_size, waiters of the group not yet signalled
 *   (under the internal lock).
 * - __g1_orig_size: G1's size when it became G1 (<< 2), and in its low two
 *   bits the internal lock of signalers (0 free, 1 taken, 2 taken with
 *   sleepers). __wrefs: waiters inside wait (<< 3), bit 2 destroy waits
 *   for them, bit 1 CLOCK_MONOTONIC, bit 0 process-shared (what makes a
 *   condvar this file's: cond.c keeps that word 0 in private ones).
 * - A signal goes to G1 while it has unsignalled waiters; else, if G2 has
 *   waiters, G1 is closed, its futex waiters are waited for to leave
 *   (quiesce), and G2 becomes G1 (switch). A waiter that consumes a signal
 *   it may have stolen from a newer group in its slot puts one back; one
 *   that stops waiting (timeout, cancellation) shrinks its group, or sends
 *   a replacement signal when it can no longer.
 *
 * mnrt's part: the mutex is released and taken again with mnrt's own
 * calls (any kind of mutex, mutex.c), every kernel wait is made with the
 * G's P handed off (mn_shared_wait), an absolute deadline is converted to
 * CLOCK_MONOTONIC once, and pthread_cancel ends the futex wait of a G
 * (mn_sys_cancellable), after which the waiter leaves as glibc's cleanup
 * handler does and takes the mutex again before it unwinds. */
#include "shim/pthread_impl.h"

#include "shim/sys.h"

#include <limits.h>
#include <linux/futex.h>
#include <stddef.h>
#include <string.h>

#define SHARED_BIT 1u
#define MONOTONIC_BIT 2u
#define DESTROY_BIT 4u
#define MAX_GROUP_SIZE (1u << 29)

struct gcond {
    _Atomic uint64_t wseq;
    _Atomic uint64_t g1_start;
    _Atomic uint32_t g_refs[2];
    uint32_t g_size[2]; /* under the internal lock */
    _Atomic uint32_t g1_orig_size;
    _Atomic uint32_t wrefs;
    _Atomic uint32_t g_signals[2];
};

_Static_assert(sizeof(struct gcond) == sizeof(pthread_cond_t), "glibc's condvar");
_Static_assert(offsetof(struct gcond, wrefs) == offsetof(struct __pthread_cond_s, __wrefs),
               "glibc's __wrefs");
_Static_assert(offsetof(struct gcond, g_signals) ==
                   offsetof(struct __pthread_cond_s, __g_signals),
               "glibc's __g_signals");

static inline struct gcond *G(pthread_cond_t *c)
{
    return (struct gcond *)c;
}

bool mn_cond_is_shared(pthread_cond_t *c)
{
    return atomic_load_explicit(&G(c)->wrefs, memory_order_relaxed) & SHARED_BIT;
}

void mn_cond_shared_init(pthread_cond_t *c, bool monotonic)
{
    memset(c, 0, sizeof *c);
    G(c)->wrefs = SHARED_BIT | (monotonic ? MONOTONIC_BIT : 0);
}

bool mn_cond_shared_monotonic(pthread_cond_t *c)
{
    return atomic_load_explicit(&G(c)->wrefs, memory_order_relaxed) & MONOTONIC_BIT;
}

static void wake(_Atomic uint32_t *word, int n)
{
    mn_futex_wake(word, n, true);
}

/* --- the signalers' lock, in the low two bits of __g1_orig_size --- */

static void lock_acquire(struct gcond *cv)
{
    uint32_t s = atomic_load_explicit(&cv->g1_orig_size, memory_order_relaxed);
    while ((s & 3) == 0)
        if (atomic_compare_exchange_weak_explicit(&cv->g1_orig_size, &s, s | 1,
                                                  memory_order_acquire, memory_order_relaxed))
            return;
    for (;;) {
        while ((s & 3) != 2) {
            if (atomic_compare_exchange_weak_explicit(&cv->g1_orig_size, &s, (s & ~3u) | 2,
                                                      memory_order_acquire,
                                                      memory_order_relaxed)) {
                if ((s & 3) == 0)
                    return;
                break;
            }
        }
        mn_shared_wait(&cv->g1_orig_size, (s & ~3u) | 2, -1);
        s = atomic_load_explicit(&cv->g1_orig_size, memory_order_relaxed);
    }
}

static void lock_release(struct gcond *cv)
{
    if ((atomic_fetch_and_explicit(&cv->g1_orig_size, ~3u, memory_order_release) & 3) == 2)
        wake(&cv->g1_orig_size, 1);
}

static uint32_t orig_size(struct gcond *cv) /* under the lock */
{
    return atomic_load_explicit(&cv->g1_orig_size, memory_order_relaxed) >> 2;
}

static void set_orig_size(struct gcond *cv, uint32_t size) /* under the lock */
{
    uint32_t s = (atomic_load_explicit(&cv->g1_orig_size, memory_order_relaxed) & 3) | (size << 2);
    /* a waiter of the lock may have turned 1 into 2 meanwhile: keep the 2 */
    if ((atomic_exchange_explicit(&cv->g1_orig_size, s, memory_order_relaxed) & 3) != (s & 3))
        atomic_store_explicit(&cv->g1_orig_size, (size << 2) | 2, memory_order_relaxed);
}

static uint64_t g1_start(struct gcond *cv)
{
    return atomic_load_explicit(&cv->g1_start, memory_order_relaxed);
}

/* Under the lock: closes G1 (slot *g1), waits until its futex waiters
 * left, and makes G2 the new G1 ending at wseq (a signaler's look at
 * __wseq, without the slot bit). False when G2 is empty (nothing
 * switched) or the new G1 is, its waiters all gone. */
static bool quiesce_and_switch(struct gcond *cv, uint64_t wseq, unsigned *g1)
{
    unsigned g = *g1;
    uint32_t old_orig = orig_size(cv);
    uint64_t old_start = g1_start(cv) >> 1;
    /* __g_size of G2 is 0 or negative (its cancelled waiters) */
    if ((uint32_t)(wseq - old_start - old_orig) + cv->g_size[g ^ 1] == 0)
        return false;
    atomic_fetch_or_explicit(&cv->g_signals[g], 1, memory_order_relaxed); /* closed */
    uint32_t r = atomic_fetch_or_explicit(&cv->g_refs[g], 0, memory_order_release);
    while (r >> 1) {
        r = atomic_fetch_or_explicit(&cv->g_refs[g], 1, memory_order_relaxed) | 1;
        if (r >> 1)
            mn_shared_wait(&cv->g_refs[g], r, -1);
        r = atomic_load_explicit(&cv->g_refs[g], memory_order_relaxed);
    }
    atomic_thread_fence(memory_order_acquire);
    /* G1 ends: __g1_start moves past it and its slot bit flips */
    atomic_fetch_add_explicit(&cv->g1_start, ((uint64_t)old_orig << 1) + (g == 1 ? 1 : -1),
                              memory_order_relaxed);
    atomic_store_explicit(&cv->g_signals[g], 0, memory_order_release); /* reopened, as G2 */
    wseq = atomic_fetch_xor_explicit(&cv->wseq, 1, memory_order_release) >> 1;
    g ^= 1;
    *g1 = g;
    uint32_t size = (uint32_t)(wseq - (old_start + old_orig));
    set_orig_size(cv, size);
    cv->g_size[g] += size; /* an addition: keeps its cancellations as G2 */
    return cv->g_size[g] != 0;
}

static void signal_shared(struct gcond *cv)
{
    if (atomic_load_explicit(&cv->wrefs, memory_order_relaxed) >> 3 == 0)
        return;
    lock_acquire(cv);
    uint64_t wseq = atomic_load_explicit(&cv->wseq, memory_order_relaxed);
    unsigned g1 = (wseq & 1) ^ 1;
    wseq >>= 1;
    bool do_wake = false;
    if (cv->g_size[g1] != 0 || quiesce_and_switch(cv, wseq, &g1)) {
        atomic_fetch_add_explicit(&cv->g_signals[g1], 2, memory_order_relaxed);
        cv->g_size[g1]--;
        do_wake = true;
    }
    lock_release(cv);
    if (do_wake)
        wake(&cv->g_signals[g1], 1);
}

static void broadcast_shared(struct gcond *cv)
{
    if (atomic_load_explicit(&cv->wrefs, memory_order_relaxed) >> 3 == 0)
        return;
    lock_acquire(cv);
    uint64_t wseq = atomic_load_explicit(&cv->wseq, memory_order_relaxed);
    unsigned g1 = (wseq & 1) ^ 1;
    wseq >>= 1;
    bool do_wake = false;
    if (cv->g_size[g1] != 0) { /* every waiter of G1, before it is closed */
        atomic_fetch_add_explicit(&cv->g_signals[g1], cv->g_size[g1] << 1,
                                  memory_order_relaxed);
        cv->g_size[g1] = 0;
        wake(&cv->g_signals[g1], INT_MAX);
    }
    if (quiesce_and_switch(cv, wseq, &g1)) { /* then every one of G2 */
        atomic_fetch_add_explicit(&cv->g_signals[g1], cv->g_size[g1] << 1,
                                  memory_order_relaxed);
        cv->g_size[g1] = 0;
        do_wake = true;
    }
    lock_release(cv);
    if (do_wake)
        wake(&cv->g_signals[g1], INT_MAX);
}

int mn_cond_shared_signal(pthread_cond_t *c)
{
    signal_shared(G(c));
    return 0;
}

int mn_cond_shared_broadcast(pthread_cond_t *c)
{
    broadcast_shared(G(c));
    return 0;
}

/* --- waiting --- */

/* A waiter that left: destroy may go on when it was the last. */
static void confirm_wakeup(struct gcond *cv)
{
    if ((atomic_fetch_sub_explicit(&cv->wrefs, 8, memory_order_release) >> 2) == 3)
        wake(&cv->wrefs, INT_MAX);
}

static void dec_grefs(struct gcond *cv, unsigned g)
{
    if (atomic_fetch_sub_explicit(&cv->g_refs[g], 2, memory_order_release) == 3) {
        atomic_fetch_and_explicit(&cv->g_refs[g], ~1u, memory_order_relaxed);
        wake(&cv->g_refs[g], INT_MAX); /* a signaler waits for the group to empty */
    }
}

/* A waiter at seq in slot g that stops waiting without a signal of its
 * own: its group shrinks, or, if a signal was meant for it already, the
 * signal goes to another waiter. Holds no group reference. */
static void cancel_waiting(struct gcond *cv, uint64_t seq, unsigned g)
{
    bool consumed = false;
    lock_acquire(cv);
    uint64_t start = g1_start(cv) >> 1;
    if (start > seq) {
        consumed = true; /* its group was closed: a signal was counted for it */
    } else if (start + orig_size(cv) <= seq) {
        /* in G2: its size is 0 or negative */
        if (cv->g_size[g] + MAX_GROUP_SIZE > 0) {
            cv->g_size[g]--;
        } else { /* too many cancellations: wake everyone instead */
            lock_release(cv);
            broadcast_shared(cv);
            return;
        }
    } else if (cv->g_size[g] == 0) {
        consumed = true; /* in G1, every waiter signalled: one was ours */
    } else {
        cv->g_size[g]--;
    }
    lock_release(cv);
    if (consumed)
        signal_shared(cv);
}

struct waiting {
    struct gcond *cv;
    pthread_mutex_t *m;
    uint64_t wseq;
};

/* pthread_cancel ended the futex wait: leave as a waiter that stopped
 * waiting, then take the mutex (the cleanup handlers run with it held). */
static void cancelled(void *arg)
{
    struct waiting *w = arg;
    unsigned g = w->wseq & 1;
    dec_grefs(w->cv, g);
    cancel_waiting(w->cv, w->wseq >> 1, g);
    wake(&w->cv->g_signals[g], 1); /* the wake-up it may have consumed */
    confirm_wakeup(w->cv);
    mn_mutex_lock(w->m, -1, false);
}

/* Sleeps while *word is 0: 0 (woken, or a signal or spurious wake-up),
 * ETIMEDOUT. A G's P is handed off meanwhile; pthread_cancel ends the
 * wait of a G (cancelled, then it unwinds). */
static int sleep_on(struct waiting *w, _Atomic uint32_t *word, int64_t deadline)
{
    if (!mn_getg())
        return mn_futex_wait(word, 0, deadline, true) == ETIMEDOUT ? ETIMEDOUT : 0;
    struct timespec ts, *tp = NULL;
    if (deadline >= 0) {
        ts.tv_sec = deadline / 1000000000;
        ts.tv_nsec = deadline % 1000000000;
        tp = &ts;
    }
    int err = errno;
    long r;
    pthread_cleanup_push(cancelled, w);
    r = mn_sys_cancellable6(SYS_futex, (long)word, FUTEX_WAIT_BITSET, 0, (long)tp, 0,
                            (long)FUTEX_BITSET_MATCH_ANY);
    pthread_cleanup_pop(0);
    int e = errno;
    errno = err;
    return r < 0 && e == ETIMEDOUT ? ETIMEDOUT : 0;
}

int mn_cond_shared_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline)
{
    struct gcond *cv = G(c);
    struct waiting w = {cv, m, atomic_fetch_add_explicit(&cv->wseq, 2, memory_order_acquire)};
    unsigned g = w.wseq & 1;
    uint64_t seq = w.wseq >> 1;
    atomic_fetch_add_explicit(&cv->wrefs, 8, memory_order_relaxed);
    int err = mn_mutex_unlock(m); /* only now: a signal after it finds us */
    if (err) {
        cancel_waiting(cv, seq, g);
        confirm_wakeup(cv);
        return err;
    }
    int result = 0;
    uint32_t signals = atomic_load_explicit(&cv->g_signals[g], memory_order_acquire);
    do {
        for (;;) {
            if (signals & 1)
                goto done; /* its group is closed: it was signalled */
            if (signals != 0)
                break;
            atomic_fetch_add_explicit(&cv->g_refs[g], 2, memory_order_acquire);
            if ((atomic_load_explicit(&cv->g_signals[g], memory_order_acquire) & 1) ||
                seq < (g1_start(cv) >> 1)) {
                dec_grefs(cv, g);
                goto done;
            }
            int r = sleep_on(&w, &cv->g_signals[g], deadline);
            dec_grefs(cv, g);
            if (r == ETIMEDOUT) {
                cancel_waiting(cv, seq, g);
                result = ETIMEDOUT;
                goto done;
            }
            signals = atomic_load_explicit(&cv->g_signals[g], memory_order_acquire);
        }
    } while (!atomic_compare_exchange_weak_explicit(&cv->g_signals[g], &signals, signals - 2,
                                                    memory_order_acquire, memory_order_relaxed));
    /* It took a signal; if its group is closed, the signal may have been a
     * newer group's in the same slot: put one back while that group is G1. */
    uint64_t start = g1_start(cv);
    if (seq < (start >> 1) && ((start & 1) ^ 1) == g) {
        uint32_t s = atomic_load_explicit(&cv->g_signals[g], memory_order_relaxed);
        while (g1_start(cv) == start) {
            if ((s & 1) || atomic_compare_exchange_weak_explicit(&cv->g_signals[g], &s, s + 2,
                                                                 memory_order_relaxed,
                                                                 memory_order_relaxed)) {
                wake(&cv->g_signals[g], 1);
                break;
            }
        }
    }
done:
    confirm_wakeup(cv); /* before the mutex: destroy may run under it */
    err = mn_mutex_lock(m, -1, false);
    return err ? err : result;
}

int mn_cond_shared_destroy(pthread_cond_t *c)
{
    struct gcond *cv = G(c);
    uint32_t wrefs = atomic_fetch_or_explicit(&cv->wrefs, DESTROY_BIT, memory_order_acquire);
    while (wrefs >> 3 != 0) {
        mn_shared_wait(&cv->wrefs, wrefs | DESTROY_BIT, -1);
        wrefs = atomic_load_explicit(&cv->wrefs, memory_order_acquire);
    }
    return 0;
}
