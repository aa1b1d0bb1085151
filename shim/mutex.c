/* pthread_mutex_*: a three-state futex mutex (0 free, 1 locked, 2 locked
 * with waiters) in glibc's own struct __pthread_mutex_s, waiting in the
 * wait queues (or on a kernel futex when process-shared).
 *
 * Fields used (glibc's names and meaning): __lock the state word,
 * __count the recursion depth, __owner the owner id, __nusers the lockers
 * of a process-shared one (glibc counts them, and its destroy refuses
 * while they are not 0), __kind the type bits glibc's static initializers
 * set (NORMAL 0, RECURSIVE 1, ERRORCHECK 2, ADAPTIVE 3), the robust (16),
 * priority-inheritance (32) and process-shared (128) bits; -1 after
 * destroy.
 *
 * Process-shared mutexes keep glibc's protocol, an ABI with processes
 * mnrt does not run: this file's three-state word is glibc's for normal,
 * adaptive, recursive and errorcheck ones; robust and priority-
 * inheritance ones are mutex_robust.c's. The owner of a process-shared
 * one is a kernel tid, the G pinned to its kernel thread while it holds a
 * recursive or errorcheck one (pshared_owner.c: glibc in another process
 * compares __owner with its own tid); a normal one's __owner is only
 * recorded. Process-private robust and priority-inheritance mutexes
 * behave as normal ones (README, Not yet).
 *
 * Contention (process-private ones), as Go's sync.Mutex (core/waitq.h,
 * "Locks"): a locker spins a little while the owner may run on another P
 * (a few looks at the word, SPIN_PAUSES apart), then waits; an unlock
 * that finds waiters wakes one only if no waiter it woke is still on its
 * way to try again; the woken waiter spins, and waits again if the lock
 * was taken before it came (barging, as glibc's: no hand-over, waitq.h
 * says why). A waiter takes the word as 2, since others may wait behind
 * it. After its release an unlocker touches nothing of the mutex
 * (another thread may take, release and free it meanwhile): the mark
 * lives in the wait queue. Process-shared ones wake one waiter per
 * unlock that finds 2, as glibc. */
#include "shim/pthread_impl.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#define KIND_TYPE_MASK 3
#define KIND_ROBUST 16
#define KIND_PI 32
#define KIND_PSHARED 128
/* Spinning looks at the word SPIN_ROUNDS + 1 times, SPIN_PAUSES pauses
 * apart, as Go's sync.Mutex does (4 x 30 PAUSE): a look takes the word's
 * cache line from the owner, whose next compare-and-swap must then take
 * it back. Looking at every pause (100 times) made 64 threads contending
 * on 2 CPUs half as fast as natively (tools/bench mutex_contended: 30-36
 * ns a lock and unlock, native 16-17); spread out, 10-11 ns. */
#define SPIN_ROUNDS 4
#define SPIN_PAUSES 30

struct mn_mutex {
    _Atomic uint32_t lock;
    uint32_t count;
    _Atomic int32_t owner;
    uint32_t nusers;
    int32_t kind;
};

_Static_assert(sizeof(struct mn_mutex) <= sizeof(pthread_mutex_t), "mutex layout");
_Static_assert(offsetof(struct mn_mutex, kind) == offsetof(struct __pthread_mutex_s, __kind),
               "glibc keeps the kind at __kind");

static inline struct mn_mutex *M(pthread_mutex_t *m)
{
    return (struct mn_mutex *)m;
}

/* Takes a free mutex, setting the word to v (1, or 2 for a waiter). */
static bool try_acquire_as(struct mn_mutex *mx, uint32_t v)
{
    uint32_t zero = 0;
    return atomic_compare_exchange_strong_explicit(&mx->lock, &zero, v, memory_order_acquire,
                                                   memory_order_relaxed);
}

static bool try_acquire(struct mn_mutex *mx)
{
    return try_acquire_as(mx, 1);
}

/* The owner may be running on another P: spinning a little is cheaper
 * than parking, unless other threads wait for this P (mn_can_spin).
 * Adaptive mutexes spin longer, as glibc's do. */
static bool spin_acquire(struct mn_mutex *mx, int type, uint32_t as)
{
    if (!mn_can_spin())
        return false;
    int n = type == PTHREAD_MUTEX_ADAPTIVE_NP ? 4 * SPIN_ROUNDS : SPIN_ROUNDS;
    for (int i = 0;; i++) {
        if (atomic_load_explicit(&mx->lock, memory_order_relaxed) == 0 && try_acquire_as(mx, as))
            return true;
        if (i == n)
            return false;
        for (int j = 0; j < SPIN_PAUSES; j++)
            mn_cpu_relax();
    }
}

static int acquire_slow(struct mn_mutex *mx, int type, int64_t deadline_ns)
{
    if (spin_acquire(mx, type, 1))
        return 0;
    if (mx->kind & KIND_PSHARED) {
        while (atomic_exchange_explicit(&mx->lock, 2, memory_order_acquire) != 0)
            if (mn_shared_wait(&mx->lock, 2, deadline_ns) == ETIMEDOUT)
                return ETIMEDOUT;
        return 0;
    }
    while (atomic_exchange_explicit(&mx->lock, 2, memory_order_acquire) != 0) {
        int r = mn_ufutex_wait(&mx->lock, 2, deadline_ns, "mutex lock");
        if (r == ETIMEDOUT)
            return ETIMEDOUT;
        if (r == 0) { /* woken, maybe by a marking unlock */
            mn_lock_unmark(&mx->lock);
            if (spin_acquire(mx, type, 2))
                return 0;
        }
    }
    return 0;
}

/* Whether the mutex is one of mutex_robust.c's. */
static bool kernel_kind(int kind)
{
    return (kind & KIND_PSHARED) && (kind & (KIND_ROBUST | KIND_PI));
}

/* Whether the owner must be known across processes (pshared_owner.c). */
static bool owned_across(int kind, int type)
{
    return (kind & KIND_PSHARED) &&
           (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK);
}

int mn_mutex_lock(pthread_mutex_t *m, int64_t deadline_ns, bool try_only)
{
    struct mn_mutex *mx = M(m);
    int kind = mx->kind;
    if (kind < 0)
        return EINVAL;
    if (kernel_kind(kind))
        return mn_mutex_kernel_lock(m, deadline_ns, try_only);
    int type = kind & KIND_TYPE_MASK;
    bool across = owned_across(kind, type);
    pid_t self = 0;
    if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
        self = across ? mn_kernel_tid() : mn_self_id();
        if (atomic_load_explicit(&mx->owner, memory_order_relaxed) == self) {
            if (type == PTHREAD_MUTEX_ERRORCHECK)
                return try_only ? EBUSY : EDEADLK;
            if (mx->count == UINT_MAX)
                return EAGAIN;
            mx->count++;
            return 0;
        }
        if (across)
            self = mn_pshared_pin(); /* for as long as it holds it */
    }
    if (!try_acquire(mx)) {
        int err = try_only ? EBUSY : acquire_slow(mx, type, deadline_ns);
        if (err) {
            if (across)
                mn_pshared_unpin();
            return err;
        }
    }
    atomic_store_explicit(&mx->owner, self ? self : mn_self_id(), memory_order_relaxed);
    mx->count = 1;
    if (kind & KIND_PSHARED)
        mx->nusers++;
    return 0;
}

int mn_mutex_unlock(pthread_mutex_t *m)
{
    struct mn_mutex *mx = M(m);
    int kind = mx->kind;
    if (kind < 0)
        return EINVAL;
    if (kernel_kind(kind))
        return mn_mutex_kernel_unlock(m);
    int type = kind & KIND_TYPE_MASK;
    bool across = owned_across(kind, type);
    if (type == PTHREAD_MUTEX_RECURSIVE || type == PTHREAD_MUTEX_ERRORCHECK) {
        if (atomic_load_explicit(&mx->owner, memory_order_relaxed) !=
                (across ? mn_kernel_tid() : mn_self_id()) ||
            atomic_load_explicit(&mx->lock, memory_order_relaxed) == 0)
            return EPERM;
        if (type == PTHREAD_MUTEX_RECURSIVE && --mx->count != 0)
            return 0;
    }
    atomic_store_explicit(&mx->owner, 0, memory_order_relaxed);
    mx->count = 0;
    if (kind & KIND_PSHARED)
        mx->nusers--;
    if (kind & KIND_PSHARED) {
        if (atomic_exchange_explicit(&mx->lock, 0, memory_order_release) == 2)
            mn_word_wake(&mx->lock, 1, true);
    } else {
        uint32_t one = 1;
        if (!atomic_compare_exchange_strong_explicit(&mx->lock, &one, 0, memory_order_release,
                                                     memory_order_relaxed))
            mn_lock_release_contended(&mx->lock); /* it is 2 */
    }
    if (across)
        mn_pshared_unpin();
    mn_release_point(); /* a scheduling point for programs that only lock */
    return 0;
}

int mn_mutex_init_kind(pthread_mutex_t *m, int kind)
{
    memset(m, 0, sizeof *m);
    M(m)->kind = kind;
    return 0;
}

MN_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    int type = PTHREAD_MUTEX_NORMAL, pshared = PTHREAD_PROCESS_PRIVATE;
    int robust = PTHREAD_MUTEX_STALLED, protocol = PTHREAD_PRIO_NONE;
    if (attr) {
        if (pthread_mutexattr_gettype(attr, &type) != 0 ||
            pthread_mutexattr_getpshared(attr, &pshared) != 0 ||
            pthread_mutexattr_getrobust(attr, &robust) != 0 ||
            pthread_mutexattr_getprotocol(attr, &protocol) != 0)
            return EINVAL;
    }
    int kind = (type & KIND_TYPE_MASK) | (robust == PTHREAD_MUTEX_ROBUST ? KIND_ROBUST : 0);
    if (pshared == PTHREAD_PROCESS_SHARED)
        kind |= KIND_PSHARED | (protocol == PTHREAD_PRIO_INHERIT ? KIND_PI : 0);
    else if (robust == PTHREAD_MUTEX_ROBUST)
        mn_warn_once("process-private robust mutexes are not supported yet: they behave as "
                     "normal mutexes");
    return mn_mutex_init_kind(m, kind);
}

MN_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
    struct mn_mutex *mx = M(m);
    if (atomic_load_explicit(&mx->lock, memory_order_relaxed) != 0)
        return EBUSY;
    mx->kind = -1;
    return 0;
}

MN_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
    return mn_mutex_lock(m, -1, false);
}

MN_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    return mn_mutex_lock(m, -1, true);
}

MN_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    return mn_mutex_unlock(m);
}

static int clocklock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime)
{
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL; /* glibc checks the clock first, tv_nsec only if it waits */
    int err = mn_mutex_lock(m, -1, true);
    if (err != EBUSY)
        return err;
    int64_t deadline;
    err = mn_abs_deadline(clock, abstime, &deadline);
    if (err)
        return err;
    return mn_mutex_lock(m, deadline, false);
}

MN_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                      const struct timespec *abstime)
{
    return clocklock(m, clock, abstime);
}

MN_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    return clocklock(m, CLOCK_REALTIME, abstime);
}

MN_EXPORT int pthread_mutex_consistent(pthread_mutex_t *m)
{
    int kind = M(m)->kind;
    if (kind < 0 || !kernel_kind(kind) || !(kind & KIND_ROBUST))
        return EINVAL; /* only process-shared robust ones are ever inconsistent */
    return mn_mutex_kernel_consistent(m);
}
