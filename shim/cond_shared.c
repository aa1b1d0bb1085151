/* Process-shared condition variables, in glibc's layout and with its
 * protocol (an ABI: a process mnrt does not run may wait or signal on the
 * same condvar), as glibc describes it in pthread_cond_wait.c and
 * pthread_cond_common.c; written anew for mnrt's waits. glibc has had two
 * protocols; which one the running glibc speaks is probed at boot
 * (mn_cond_shared_boot): a timed-out wait of glibc's own leaves its
 * group's size at -1, which tells where __g_size is, and so which layout.
 *
 * Both: __wseq: each waiter takes a position (fetch-add 2); its low bit
 * is the slot (0 or 1) of G2, the group new waiters join. __g_size per
 * slot: waiters of the group not yet signalled (under the internal lock).
 * __g1_orig_size: G1's size when it became G1 (<< 2), and in its low two
 * bits the internal lock of signalers (0 free, 1 taken, 2 taken with
 * sleepers). __wrefs: waiters inside wait (<< 3), bit 2 destroy waits for
 * them, bit 1 CLOCK_MONOTONIC, bit 0 process-shared (what makes a condvar
 * this file's: cond.c keeps that word 0 in private ones). A signal goes
 * to G1 while it has unsignalled waiters; else, if G2 has waiters, G2
 * becomes G1 (switch). A waiter that stops waiting (timeout,
 * cancellation) shrinks its group, or sends a replacement signal when it
 * can no longer.
 *
 * - With group references (glibc 2.25 to 2.40): __g1_start, where G1
 *   starts, << 1 with G2's slot in its low bit; __g_signals per slot,
 *   signals available (2 each; low bit: the group is closed), the futex
 *   word waiters sleep on while it is 0; __g_refs, waiters using that
 *   futex (2 each; low bit: a signaler waits for them to leave). A switch
 *   closes G1 and waits for its futex waiters to leave (quiesce). A waiter
 *   that consumes a signal it may have stolen from a newer group in its
 *   slot puts one back.
 * - Without (glibc 2.41+, and backports): __g1_start whole; a new G1's
 *   __g_signals starts at __g1_start's low 32 bits and counts signals by
 *   one; a waiter takes one while __g_signals is ahead of __g1_start,
 *   sleeps on the value it saw, and is done once __g1_start passed its
 *   position (its group closed). No __g_refs, no quiescing.
 *
 * mnrt's part: the mutex is released and taken again with mnrt's own
 * calls (any kind of mutex, mutex.c), every kernel wait is made with the
 * G's P handed off (mn_shared_wait), an absolute deadline is converted to
 * CLOCK_MONOTONIC once, and pthread_cancel ends the futex wait of a G
 * (mn_sys_cancellable), after which the waiter leaves as glibc's cleanup
 * handler does and takes the mutex again before it unwinds.
 *
 * Invariants: the protocol (P) is the headers' until boot and the probed
 * one from boot on, before any G exists. */
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
    uint32_t words[8]; /* where the rest is depends on the protocol (P) */
};

_Static_assert(sizeof(struct gcond) == sizeof(pthread_cond_t), "glibc's condvar");

/* Indexes into gcond.words of each protocol's fields (__g_refs, __g_size,
 * __g1_orig_size, __wrefs, __g_signals). */
struct protocol {
    bool g_refs; /* glibc 2.25-2.40's */
    int refs, size, orig, wrefs, signals;
};
#define PROTOCOL(g_refs) {(g_refs), 0, (g_refs) ? 2 : 0, (g_refs) ? 4 : 2, (g_refs) ? 5 : 3, \
                          (g_refs) ? 6 : 4}
#define HEADER_AT(field) ((offsetof(struct __pthread_cond_s, field) - 16) / 4)

/* Until boot, the one of the headers mnrt was built with. */
static struct protocol P = PROTOCOL(HEADER_AT(__g_size) == 2);

const char *mn_cond_shared_boot(void)
{
    pthread_cond_t c;
    pthread_mutex_t m;
    memset(&c, 0, sizeof c);
    memset(&m, 0, sizeof m);
    struct timespec past = {0, 0};
    int r = mn_real.pthread_cond_timedwait(&c, &m, &past);
    const struct gcond *cv = (const struct gcond *)&c;
    bool waited = r == ETIMEDOUT && cv->wseq == 2;
    if (waited && cv->words[0] == UINT32_MAX && cv->words[2] == 0)
        P = (struct protocol)PROTOCOL(false);
    else if (waited && cv->words[0] == 0 && cv->words[2] == UINT32_MAX)
        P = (struct protocol)PROTOCOL(true);
    else
        return "glibc's process-shared condition variables are in neither layout mnrt knows";
    return NULL;
}

static inline struct gcond *G(pthread_cond_t *c)
{
    return (struct gcond *)c;
}

static _Atomic uint32_t *word(struct gcond *cv, int i)
{
    return (_Atomic uint32_t *)&cv->words[i];
}

#define G_REFS(cv, g) word(cv, P.refs + (int)(g))
#define G_SIZE(cv, g) (cv)->words[P.size + (int)(g)] /* under the lock */
#define G1_ORIG_SIZE(cv) word(cv, P.orig)
#define WREFS(cv) word(cv, P.wrefs)
#define G_SIGNALS(cv, g) word(cv, P.signals + (int)(g))

bool mn_cond_is_shared(pthread_cond_t *c)
{
    return atomic_load_explicit(WREFS(G(c)), memory_order_relaxed) & SHARED_BIT;
}

void mn_cond_shared_init(pthread_cond_t *c, bool monotonic)
{
    memset(c, 0, sizeof *c);
    atomic_store_explicit(WREFS(G(c)), SHARED_BIT | (monotonic ? MONOTONIC_BIT : 0),
                          memory_order_relaxed);
}

bool mn_cond_shared_monotonic(pthread_cond_t *c)
{
    return atomic_load_explicit(WREFS(G(c)), memory_order_relaxed) & MONOTONIC_BIT;
}

static void wake(_Atomic uint32_t *word, int n)
{
    mn_futex_wake(word, n, true);
}

/* --- the signalers' lock, in the low two bits of __g1_orig_size --- */

static void lock_acquire(struct gcond *cv)
{
    uint32_t s = atomic_load_explicit(G1_ORIG_SIZE(cv), memory_order_relaxed);
    while ((s & 3) == 0)
        if (atomic_compare_exchange_weak_explicit(G1_ORIG_SIZE(cv), &s, s | 1,
                                                  memory_order_acquire, memory_order_relaxed))
            return;
    for (;;) {
        while ((s & 3) != 2) {
            if (atomic_compare_exchange_weak_explicit(G1_ORIG_SIZE(cv), &s, (s & ~3u) | 2,
                                                      memory_order_acquire,
                                                      memory_order_relaxed)) {
                if ((s & 3) == 0)
                    return;
                break;
            }
        }
        mn_shared_wait(G1_ORIG_SIZE(cv), (s & ~3u) | 2, -1);
        s = atomic_load_explicit(G1_ORIG_SIZE(cv), memory_order_relaxed);
    }
}

static void lock_release(struct gcond *cv)
{
    if ((atomic_fetch_and_explicit(G1_ORIG_SIZE(cv), ~3u, memory_order_release) & 3) == 2)
        wake(G1_ORIG_SIZE(cv), 1);
}

static uint32_t orig_size(struct gcond *cv) /* under the lock */
{
    return atomic_load_explicit(G1_ORIG_SIZE(cv), memory_order_relaxed) >> 2;
}

static void set_orig_size(struct gcond *cv, uint32_t size) /* under the lock */
{
    uint32_t s = (atomic_load_explicit(G1_ORIG_SIZE(cv), memory_order_relaxed) & 3) | (size << 2);
    /* a waiter of the lock may have turned 1 into 2 meanwhile: keep the 2 */
    if ((atomic_exchange_explicit(G1_ORIG_SIZE(cv), s, memory_order_relaxed) & 3) != (s & 3))
        atomic_store_explicit(G1_ORIG_SIZE(cv), (size << 2) | 2, memory_order_relaxed);
}

static uint64_t g1_start(struct gcond *cv)
{
    return atomic_load_explicit(&cv->g1_start, memory_order_relaxed);
}

/* The waiter position where G1 starts. */
static uint64_t g1_position(struct gcond *cv)
{
    return P.g_refs ? g1_start(cv) >> 1 : g1_start(cv);
}

/* What a signal adds to __g_signals. */
static uint32_t signal_unit(void)
{
    return P.g_refs ? 2 : 1;
}

/* With group references, under the lock: closes G1 (slot g), waits until
 * its futex waiters left, moves __g1_start past it and flips its slot
 * bit, and reopens the slot for the next G2. */
static void quiesce(struct gcond *cv, unsigned g, uint32_t old_orig)
{
    atomic_fetch_or_explicit(G_SIGNALS(cv, g), 1, memory_order_relaxed); /* closed */
    uint32_t r = atomic_fetch_or_explicit(G_REFS(cv, g), 0, memory_order_release);
    while (r >> 1) {
        r = atomic_fetch_or_explicit(G_REFS(cv, g), 1, memory_order_relaxed) | 1;
        if (r >> 1)
            mn_shared_wait(G_REFS(cv, g), r, -1);
        r = atomic_load_explicit(G_REFS(cv, g), memory_order_relaxed);
    }
    atomic_thread_fence(memory_order_acquire);
    atomic_fetch_add_explicit(&cv->g1_start, ((uint64_t)old_orig << 1) + (g == 1 ? 1 : -1),
                              memory_order_relaxed);
    atomic_store_explicit(G_SIGNALS(cv, g), 0, memory_order_release);
}

/* Under the lock: closes G1 (slot *g1) and makes G2 the new G1 ending at
 * wseq (a signaler's look at __wseq, without the slot bit); with group
 * references, once G1's futex waiters left. False when G2 is empty
 * (nothing switched) or the new G1 is, its waiters all gone. */
static bool switch_g1(struct gcond *cv, uint64_t wseq, unsigned *g1)
{
    unsigned g = *g1;
    uint32_t old_orig = orig_size(cv);
    uint64_t old_start = g1_position(cv);
    /* __g_size of G2 is 0 or negative (its cancelled waiters) */
    if ((uint32_t)(wseq - old_start - old_orig) + G_SIZE(cv, g ^ 1) == 0)
        return false;
    if (P.g_refs) {
        quiesce(cv, g, old_orig);
    } else { /* G1 ends: __g1_start moves past it */
        atomic_fetch_add_explicit(&cv->g1_start, old_orig, memory_order_relaxed);
    }
    wseq = atomic_fetch_xor_explicit(&cv->wseq, 1, memory_order_release) >> 1;
    g ^= 1;
    *g1 = g;
    if (!P.g_refs) /* no signal for the new G1 yet */
        atomic_store_explicit(G_SIGNALS(cv, g), (uint32_t)(old_start + old_orig),
                              memory_order_release);
    uint32_t size = (uint32_t)(wseq - (old_start + old_orig));
    set_orig_size(cv, size);
    G_SIZE(cv, g) += size; /* an addition: keeps its cancellations as G2 */
    return G_SIZE(cv, g) != 0;
}

static void signal_shared(struct gcond *cv)
{
    if (atomic_load_explicit(WREFS(cv), memory_order_relaxed) >> 3 == 0)
        return;
    lock_acquire(cv);
    uint64_t wseq = atomic_load_explicit(&cv->wseq, memory_order_relaxed);
    unsigned g1 = (wseq & 1) ^ 1;
    wseq >>= 1;
    bool do_wake = false;
    if (G_SIZE(cv, g1) != 0 || switch_g1(cv, wseq, &g1)) {
        atomic_fetch_add_explicit(G_SIGNALS(cv, g1), signal_unit(), memory_order_relaxed);
        G_SIZE(cv, g1)--;
        do_wake = true;
    }
    lock_release(cv);
    if (do_wake)
        wake(G_SIGNALS(cv, g1), 1);
}

static void broadcast_shared(struct gcond *cv)
{
    if (atomic_load_explicit(WREFS(cv), memory_order_relaxed) >> 3 == 0)
        return;
    lock_acquire(cv);
    uint64_t wseq = atomic_load_explicit(&cv->wseq, memory_order_relaxed);
    unsigned g1 = (wseq & 1) ^ 1;
    wseq >>= 1;
    bool do_wake = false;
    if (G_SIZE(cv, g1) != 0) { /* every waiter of G1, before it is closed */
        atomic_fetch_add_explicit(G_SIGNALS(cv, g1), G_SIZE(cv, g1) * signal_unit(),
                                  memory_order_relaxed);
        G_SIZE(cv, g1) = 0;
        wake(G_SIGNALS(cv, g1), INT_MAX);
    }
    if (switch_g1(cv, wseq, &g1)) { /* then every one of G2 */
        atomic_fetch_add_explicit(G_SIGNALS(cv, g1), G_SIZE(cv, g1) * signal_unit(),
                                  memory_order_relaxed);
        G_SIZE(cv, g1) = 0;
        do_wake = true;
    }
    lock_release(cv);
    if (do_wake)
        wake(G_SIGNALS(cv, g1), INT_MAX);
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
    if ((atomic_fetch_sub_explicit(WREFS(cv), 8, memory_order_release) >> 2) == 3)
        wake(WREFS(cv), INT_MAX);
}

static void dec_grefs(struct gcond *cv, unsigned g)
{
    if (atomic_fetch_sub_explicit(G_REFS(cv, g), 2, memory_order_release) == 3) {
        atomic_fetch_and_explicit(G_REFS(cv, g), ~1u, memory_order_relaxed);
        wake(G_REFS(cv, g), INT_MAX); /* a signaler waits for the group to empty */
    }
}

/* A waiter at seq in slot g that stops waiting without a signal of its
 * own: its group shrinks, or, if a signal was meant for it already, the
 * signal goes to another waiter. Holds no group reference. */
static void cancel_waiting(struct gcond *cv, uint64_t seq, unsigned g)
{
    bool consumed = false;
    lock_acquire(cv);
    uint64_t start = g1_position(cv);
    if (start > seq) {
        consumed = true; /* its group was closed: a signal was counted for it */
    } else if (start + orig_size(cv) <= seq) {
        /* in G2: its size is 0 or negative */
        if (G_SIZE(cv, g) + MAX_GROUP_SIZE > 0) {
            G_SIZE(cv, g)--;
        } else { /* too many cancellations: wake everyone instead */
            lock_release(cv);
            broadcast_shared(cv);
            return;
        }
    } else if (G_SIZE(cv, g) == 0) {
        consumed = true; /* in G1, every waiter signalled: one was ours */
    } else {
        G_SIZE(cv, g)--;
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
    if (P.g_refs)
        dec_grefs(w->cv, g);
    cancel_waiting(w->cv, w->wseq >> 1, g);
    wake(G_SIGNALS(w->cv, g), 1); /* the wake-up it may have consumed */
    confirm_wakeup(w->cv);
    mn_mutex_lock(w->m, -1, false);
}

/* Sleeps while *word is seen: 0 (woken, or a signal or spurious wake-up),
 * ETIMEDOUT. A G's P is handed off meanwhile; pthread_cancel ends the
 * wait of a G (cancelled, then it unwinds). */
static int sleep_on(struct waiting *w, _Atomic uint32_t *word, uint32_t seen, int64_t deadline)
{
    if (!mn_getg())
        return mn_futex_wait(word, seen, deadline, true) == ETIMEDOUT ? ETIMEDOUT : 0;
    struct timespec ts, *tp = NULL;
    if (deadline >= 0) {
        ts.tv_sec = deadline / 1000000000;
        ts.tv_nsec = deadline % 1000000000;
        tp = &ts;
    }
    int err = errno;
    long r;
    pthread_cleanup_push(cancelled, w);
    r = mn_sys_cancellable6(SYS_futex, (long)word, FUTEX_WAIT_BITSET, seen, (long)tp, 0,
                            (long)FUTEX_BITSET_MATCH_ANY);
    pthread_cleanup_pop(0);
    int e = errno;
    errno = err;
    return r < 0 && e == ETIMEDOUT ? ETIMEDOUT : 0;
}

/* Until a signal of its group is taken (0), or the deadline (ETIMEDOUT):
 * with group references. */
static int wait_with_refs(struct waiting *w, int64_t deadline)
{
    struct gcond *cv = w->cv;
    unsigned g = w->wseq & 1;
    uint64_t seq = w->wseq >> 1;
    uint32_t signals = atomic_load_explicit(G_SIGNALS(cv, g), memory_order_acquire);
    do {
        for (;;) {
            if (signals & 1)
                return 0; /* its group is closed: it was signalled */
            if (signals != 0)
                break;
            atomic_fetch_add_explicit(G_REFS(cv, g), 2, memory_order_acquire);
            if ((atomic_load_explicit(G_SIGNALS(cv, g), memory_order_acquire) & 1) ||
                seq < (g1_start(cv) >> 1)) {
                dec_grefs(cv, g);
                return 0;
            }
            int r = sleep_on(w, G_SIGNALS(cv, g), 0, deadline);
            dec_grefs(cv, g);
            if (r == ETIMEDOUT) {
                cancel_waiting(cv, seq, g);
                return ETIMEDOUT;
            }
            signals = atomic_load_explicit(G_SIGNALS(cv, g), memory_order_acquire);
        }
    } while (!atomic_compare_exchange_weak_explicit(G_SIGNALS(cv, g), &signals, signals - 2,
                                                    memory_order_acquire, memory_order_relaxed));
    /* It took a signal; if its group is closed, the signal may have been a
     * newer group's in the same slot: put one back while that group is G1. */
    uint64_t start = g1_start(cv);
    if (seq < (start >> 1) && ((start & 1) ^ 1) == g) {
        uint32_t s = atomic_load_explicit(G_SIGNALS(cv, g), memory_order_relaxed);
        while (g1_start(cv) == start) {
            if ((s & 1) || atomic_compare_exchange_weak_explicit(G_SIGNALS(cv, g), &s, s + 2,
                                                                 memory_order_relaxed,
                                                                 memory_order_relaxed)) {
                wake(G_SIGNALS(cv, g), 1);
                break;
            }
        }
    }
    return 0;
}

/* The same without group references: a signal is there while __g_signals
 * is ahead of __g1_start's low half; a closed group had one for it. */
static int wait_plain(struct waiting *w, int64_t deadline)
{
    struct gcond *cv = w->cv;
    unsigned g = w->wseq & 1;
    uint64_t seq = w->wseq >> 1;
    for (;;) {
        uint32_t signals = atomic_load_explicit(G_SIGNALS(cv, g), memory_order_acquire);
        uint64_t start = g1_start(cv);
        if (seq < start)
            return 0;
        if ((int32_t)(signals - (uint32_t)start) > 0) {
            if (atomic_compare_exchange_weak_explicit(G_SIGNALS(cv, g), &signals, signals - 1,
                                                      memory_order_acquire,
                                                      memory_order_relaxed))
                return 0;
            continue;
        }
        if (sleep_on(w, G_SIGNALS(cv, g), signals, deadline) == ETIMEDOUT) {
            cancel_waiting(cv, seq, g);
            return ETIMEDOUT;
        }
    }
}

int mn_cond_shared_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline)
{
    struct gcond *cv = G(c);
    struct waiting w = {cv, m, atomic_fetch_add_explicit(&cv->wseq, 2, memory_order_acquire)};
    atomic_fetch_add_explicit(WREFS(cv), 8, memory_order_relaxed);
    int err = mn_mutex_unlock(m); /* only now: a signal after it finds us */
    if (err) {
        cancel_waiting(cv, w.wseq >> 1, w.wseq & 1);
        confirm_wakeup(cv);
        return err;
    }
    int result = P.g_refs ? wait_with_refs(&w, deadline) : wait_plain(&w, deadline);
    confirm_wakeup(cv); /* before the mutex: destroy may run under it */
    err = mn_mutex_lock(m, -1, false);
    return err ? err : result;
}

int mn_cond_shared_destroy(pthread_cond_t *c)
{
    struct gcond *cv = G(c);
    uint32_t wrefs = atomic_fetch_or_explicit(WREFS(cv), DESTROY_BIT, memory_order_acquire);
    while (wrefs >> 3 != 0) {
        mn_shared_wait(WREFS(cv), wrefs | DESTROY_BIT, -1);
        wrefs = atomic_load_explicit(WREFS(cv), memory_order_acquire);
    }
    return 0;
}
