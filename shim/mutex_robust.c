/* Process-shared robust and priority-inheritance mutexes, with glibc's
 * protocols on the lock word (an ABI: a process mnrt does not run may
 * hold the same mutex), read from glibc 2.36's pthread_mutex_lock.c,
 * _trylock.c, _unlock.c and the kernel's futex documentation:
 *
 * - The lock word holds the owner's kernel tid (pshared_owner.c: a G is
 *   pinned to its kernel thread while it holds the mutex), FUTEX_WAITERS
 *   when a waiter may sleep on it and FUTEX_OWNER_DIED when its owner
 *   died holding it. __owner is the tid too, or PTHREAD_MUTEX_INCONSISTENT
 *   (INT_MAX) from an EOWNERDEAD lock until pthread_mutex_consistent, or
 *   PTHREAD_MUTEX_NOTRECOVERABLE (INT_MAX - 1) once unlocked inconsistent;
 *   __count the recursion depth; __nusers the lockers, as glibc counts.
 * - Robust: a held mutex is on the robust list the kernel knows for the
 *   holding thread (get_robust_list: glibc registered one for every thread
 *   it made, Ms included), entered through &__list.__next (the low bit set
 *   for a PI one); list_op_pending names the mutex while it is being taken
 *   or released. When that thread exits (the process dies, or a G exits
 *   holding it and its pinned M ends with it), the kernel sets
 *   FUTEX_OWNER_DIED and wakes a waiter; the next locker gets EOWNERDEAD.
 *   Only the holding thread touches its list; entries are removed by
 *   walking the singly linked list the kernel reads (no __prev links: the
 *   list is short, and glibc's own entries need none of ours).
 * - Non-PI waiters set FUTEX_WAITERS and sleep on the word in the kernel
 *   (the P handed off: mn_shared_wait); unlock clears the word and wakes
 *   one when FUTEX_WAITERS was set.
 * - PI: taking a held mutex is FUTEX_LOCK_PI (the kernel queues the
 *   waiter, boosts the owner and hands the mutex over), giving it back with
 *   waiters FUTEX_UNLOCK_PI, both made by the thread whose tid is in the
 *   word: why the holder stays pinned. A deadline is converted to
 *   CLOCK_REALTIME for the kernel once, at the call.
 * - A G that exits holding one ends its pinned M with it, and the kernel
 *   sees the owner die; but M0, the main kernel thread, is wedged instead
 *   of ending (core/sched.c), so a G's exit also marks the robust non-PI
 *   mutexes it still holds itself, as the kernel would
 *   (mn_mutex_robust_thread_exit), and the PI ones nobody waits for (the
 *   word becomes FUTEX_OWNER_DIED alone, as the kernel leaves it). A PI
 *   one that has waiters when a G exits on M0 holding it stays held until
 *   the process ends (README, Not yet).
 * Process-private robust and PI mutexes behave as normal ones (mutex.c). */
#include "shim/pthread_impl.h"

#include "compat/raw_syscall.h"

#include <limits.h>
#include <linux/futex.h>
#include <stddef.h>
#include <sys/syscall.h>

#define KIND_TYPE_MASK 3
#define KIND_ROBUST 16
#define KIND_PI 32
#define INCONSISTENT INT_MAX
#define NOTRECOVERABLE (INT_MAX - 1)

_Static_assert(offsetof(struct __pthread_mutex_s, __lock) == 0, "glibc's lock word");
_Static_assert(offsetof(struct __pthread_mutex_s, __list.__next) == 32,
               "the robust list entry glibc's list heads assume (futex_offset -32)");

struct robust_head {
    void *list;
    long futex_offset;
    void *list_op_pending;
};

static inline _Atomic uint32_t *word(pthread_mutex_t *m)
{
    return (_Atomic uint32_t *)&m->__data.__lock;
}

static inline void *entry(pthread_mutex_t *m)
{
    return &m->__data.__list.__next;
}

static struct robust_head *kernel_robust_head(void)
{
    struct robust_head *head = NULL;
    size_t len = 0;
    if (mn_raw_syscall(SYS_get_robust_list, 0, &head, &len) != 0 || len != sizeof *head ||
        !head || head->futex_offset != -(long)offsetof(struct __pthread_mutex_s, __list.__next))
        return NULL;
    return head;
}

/* A G's last answer, for the M it got it on: an M's id is never reused,
 * and its tid changes in a forked child (where glibc registers the list
 * anew). get_robust_list costs a system call (about 0.5 us here, against
 * 10-15 ns for glibc's whole uncontended robust lock and unlock). */
static __thread struct {
    int m_id;
    pid_t m_tid;
    struct robust_head *head;
} cached;

/* The robust list the kernel knows for the calling thread; NULL if none
 * (then the mutex works, but the kernel cannot see its owner die). */
static struct robust_head *robust_head(void)
{
    mn_g *g = mn_getg();
    if (!g)
        return kernel_robust_head();
    mn_m *m = g->m;
    if (cached.head && cached.m_id == m->id && cached.m_tid == m->tid)
        return cached.head;
    struct robust_head *head = kernel_robust_head();
    cached.m_id = m->id;
    cached.m_tid = m->tid;
    cached.head = head;
    return head;
}

static void set_pending(struct robust_head *head, void *e)
{
    if (head)
        atomic_store_explicit((_Atomic(void *) *)&head->list_op_pending, e, memory_order_release);
}

static void enqueue(struct robust_head *head, pthread_mutex_t *m, uintptr_t pi)
{
    if (!head)
        return;
    m->__data.__list.__next = head->list;
    m->__data.__list.__prev = NULL;
    atomic_store_explicit((_Atomic(void *) *)&head->list, (void *)((uintptr_t)entry(m) | pi),
                          memory_order_release);
}

static void dequeue(struct robust_head *head, pthread_mutex_t *m)
{
    if (!head)
        return;
    void **link = &head->list;
    for (int n = 0; (void *)((uintptr_t)*link & ~1ul) != (void *)head && n < 4096; n++) {
        void **e = (void **)((uintptr_t)*link & ~1ul);
        if (e == entry(m)) {
            atomic_store_explicit((_Atomic(void *) *)link, *e, memory_order_release);
            break;
        }
        link = e;
    }
    m->__data.__list.__next = NULL;
}

static void wake_one(pthread_mutex_t *m)
{
    mn_futex_wake(word(m), 1, true);
}

/* --- robust, not PI --- */

static int robust_lock(pthread_mutex_t *m, int64_t deadline, bool try_only)
{
    int type = m->__data.__kind & KIND_TYPE_MASK;
    pid_t id = mn_pshared_pin();
    struct robust_head *head = robust_head();
    set_pending(head, entry(m));
    _Atomic uint32_t *w = word(m);
    uint32_t old = atomic_load(w), assume_waiters = 0;
    int err = 0;
    for (;;) {
        if (old == 0) {
            if (atomic_compare_exchange_strong(w, &old, (uint32_t)id | assume_waiters))
                break;
            continue;
        }
        if (old & FUTEX_OWNER_DIED) {
            /* its owner died: take it over, inconsistent */
            uint32_t new = (uint32_t)id | (old & FUTEX_WAITERS) | assume_waiters;
            if (!atomic_compare_exchange_strong(w, &old, new))
                continue;
            m->__data.__count = 1;
            m->__data.__owner = INCONSISTENT;
            enqueue(head, m, 0);
            set_pending(head, NULL);
            return EOWNERDEAD;
        }
        if ((old & FUTEX_TID_MASK) == (uint32_t)id) {
            set_pending(head, NULL);
            mn_pshared_unpin(); /* held already: its own pin stays */
            if (type == PTHREAD_MUTEX_ERRORCHECK)
                return EDEADLK;
            if (type == PTHREAD_MUTEX_RECURSIVE) {
                if (m->__data.__count == UINT_MAX)
                    return EAGAIN;
                m->__data.__count++;
                return 0;
            }
        }
        if (try_only) {
            err = EBUSY;
            goto fail;
        }
        if (!(old & FUTEX_WAITERS)) {
            if (!atomic_compare_exchange_strong(w, &old, old | FUTEX_WAITERS))
                continue;
            old |= FUTEX_WAITERS;
        }
        assume_waiters = FUTEX_WAITERS; /* others may sleep: keep the bit */
        if (mn_shared_wait(w, old, deadline) == ETIMEDOUT) {
            err = ETIMEDOUT;
            goto fail;
        }
        old = atomic_load(w);
    }
    if (m->__data.__owner == NOTRECOVERABLE) {
        m->__data.__count = 0;
        if (atomic_exchange(w, 0) > 1)
            wake_one(m);
        err = ENOTRECOVERABLE;
        goto fail;
    }
    m->__data.__count = 1;
    enqueue(head, m, 0);
    set_pending(head, NULL);
    m->__data.__owner = id;
    m->__data.__nusers++;
    return 0;
fail:
    set_pending(head, NULL);
    mn_pshared_unpin();
    return err;
}

/* --- priority inheritance (robust or not) --- */

static long futex_pi(pthread_mutex_t *m, int op, const struct timespec *ts)
{
    return mn_raw_syscall(SYS_futex, word(m), op, 0, ts, NULL, 0);
}

/* The kernel's FUTEX_LOCK_PI, the P handed off: 0, ETIMEDOUT, or the
 * kernel's error (ESRCH: the owner tid names no thread; EDEADLK). */
static int kernel_lock_pi(pthread_mutex_t *m, int64_t deadline)
{
    struct timespec ts, *tp = NULL;
    if (deadline >= 0) { /* FUTEX_LOCK_PI's deadline is on CLOCK_REALTIME */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t left = deadline - mn_nanotime(), at = mn_timespec_ns(&now) + left;
        if (left < 0)
            return ETIMEDOUT;
        ts.tv_sec = at / 1000000000;
        ts.tv_nsec = at % 1000000000;
        tp = &ts;
    }
    int err = errno;
    mn_entersyscall();
    long r = futex_pi(m, FUTEX_LOCK_PI, tp);
    mn_exitsyscall();
    errno = err;
    return (int)-r;
}

static int pi_lock(pthread_mutex_t *m, int64_t deadline, bool try_only)
{
    int kind = m->__data.__kind, type = kind & KIND_TYPE_MASK;
    bool robust = kind & KIND_ROBUST;
    pid_t id = mn_pshared_pin();
    struct robust_head *head = robust ? robust_head() : NULL;
    set_pending(head, (void *)((uintptr_t)entry(m) | 1));
    _Atomic uint32_t *w = word(m);
    uint32_t old = atomic_load(w);
    int err = 0;
    if ((old & FUTEX_TID_MASK) == (uint32_t)id) {
        set_pending(head, NULL);
        mn_pshared_unpin(); /* held already: its own pin stays */
        if (type == PTHREAD_MUTEX_ERRORCHECK)
            return EDEADLK;
        if (type == PTHREAD_MUTEX_RECURSIVE) {
            if (m->__data.__count == UINT_MAX)
                return EAGAIN;
            m->__data.__count++;
            return 0;
        }
    }
    old = 0;
    if (!atomic_compare_exchange_strong(w, &old, (uint32_t)id)) {
        if (try_only) {
            if (!(old & FUTEX_OWNER_DIED)) {
                err = EBUSY;
                goto fail;
            }
            /* its owner died: the kernel hands it over */
            if (futex_pi(m, FUTEX_TRYLOCK_PI, NULL) != 0) {
                err = EBUSY;
                goto fail;
            }
        } else {
            err = kernel_lock_pi(m, deadline);
            if (err == ESRCH || err == EDEADLK) {
                /* the owner is no thread (gone, not robust), or this
                 * thread: it never comes free. glibc waits forever. */
                _Atomic uint32_t never = 0;
                while (mn_shared_wait(&never, 0, deadline) != ETIMEDOUT)
                    ;
                err = ETIMEDOUT;
            }
            if (err)
                goto fail;
        }
        old = atomic_load(w);
    }
    if (old & FUTEX_OWNER_DIED) {
        atomic_fetch_and(w, ~(uint32_t)FUTEX_OWNER_DIED);
        m->__data.__count = 1;
        m->__data.__owner = INCONSISTENT;
        enqueue(head, m, 1);
        set_pending(head, NULL);
        return EOWNERDEAD;
    }
    if (robust && m->__data.__owner == NOTRECOVERABLE) {
        m->__data.__count = 0;
        futex_pi(m, FUTEX_UNLOCK_PI, NULL);
        err = ENOTRECOVERABLE;
        goto fail;
    }
    m->__data.__count = 1;
    enqueue(head, m, 1);
    set_pending(head, NULL);
    m->__data.__owner = id;
    m->__data.__nusers++;
    return 0;
fail:
    set_pending(head, NULL);
    mn_pshared_unpin();
    return err;
}

int mn_mutex_kernel_lock(pthread_mutex_t *m, int64_t deadline, bool try_only)
{
    if (m->__data.__kind & KIND_PI)
        return pi_lock(m, deadline, try_only);
    return robust_lock(m, deadline, try_only);
}

int mn_mutex_kernel_unlock(pthread_mutex_t *m)
{
    int kind = m->__data.__kind, type = kind & KIND_TYPE_MASK;
    bool robust = kind & KIND_ROBUST, pi = kind & KIND_PI;
    _Atomic uint32_t *w = word(m);
    pid_t id = mn_kernel_tid(); /* the holder is pinned: this is its tid */
    uint32_t l = atomic_load(w);
    int new_owner = 0;
    if (type == PTHREAD_MUTEX_RECURSIVE) {
        if (robust && (l & FUTEX_TID_MASK) == (uint32_t)id &&
            m->__data.__owner == INCONSISTENT) {
            if (--m->__data.__count != 0)
                return ENOTRECOVERABLE;
            new_owner = NOTRECOVERABLE;
        } else {
            if (m->__data.__owner != id)
                return EPERM;
            if (--m->__data.__count != 0)
                return 0;
        }
    } else {
        if ((l & FUTEX_TID_MASK) != (uint32_t)id)
            return EPERM;
        if (robust && m->__data.__owner == INCONSISTENT)
            new_owner = NOTRECOVERABLE; /* unlocked without being made consistent */
    }
    struct robust_head *head = robust ? robust_head() : NULL;
    set_pending(head, (void *)((uintptr_t)entry(m) | pi));
    dequeue(head, m);
    m->__data.__owner = new_owner;
    m->__data.__nusers--;
    if (pi) {
        l = atomic_load(w);
        do {
            if ((l & FUTEX_WAITERS) || l != (uint32_t)id) {
                futex_pi(m, FUTEX_UNLOCK_PI, NULL);
                break;
            }
        } while (!atomic_compare_exchange_weak(w, &l, 0));
    } else if (atomic_exchange(w, 0) & FUTEX_WAITERS) {
        wake_one(m);
    }
    set_pending(head, NULL);
    mn_pshared_unpin();
    mn_check_preempt_at_release();
    return 0;
}

/* Marks a robust, non-PI mutex whose owner is gone as the kernel does. */
static void owner_died(_Atomic uint32_t *w)
{
    uint32_t old = atomic_load(w), new;
    do
        new = (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    while (!atomic_compare_exchange_weak(w, &old, new));
    if (old & FUTEX_WAITERS)
        mn_futex_wake(w, 1, true);
}

void mn_mutex_robust_thread_exit(void)
{
    mn_g *g = mn_getg();
    if (!g || !g->lockedm)
        return; /* it holds none: each held one pins it */
    struct robust_head *head = robust_head();
    if (!head)
        return;
    uint32_t id = (uint32_t)mn_kernel_tid();
    void **link = &head->list;
    for (int n = 0; (void *)((uintptr_t)*link & ~1ul) != (void *)head && n < 4096; n++) {
        void **e = (void **)((uintptr_t)*link & ~1ul);
        bool pi = (uintptr_t)*link & 1;
        _Atomic uint32_t *w = (_Atomic uint32_t *)((char *)e + head->futex_offset);
        uint32_t v = atomic_load(w);
        bool mine = (v & FUTEX_TID_MASK) == id;
        /* a PI one with waiters: only the kernel hands it over, when the
         * kernel thread ends; without, the next locker takes it over from
         * a word of just FUTEX_OWNER_DIED, as after the kernel marked it */
        if (mine && pi && (v != id || !atomic_compare_exchange_strong(w, &v, FUTEX_OWNER_DIED)))
            mine = false;
        if (!mine) {
            link = e;
            continue;
        }
        atomic_store_explicit((_Atomic(void *) *)link, *e, memory_order_release);
        *e = NULL;
        if (!pi)
            owner_died(w);
    }
}

int mn_mutex_kernel_consistent(pthread_mutex_t *m)
{
    if (m->__data.__owner != INCONSISTENT)
        return EINVAL;
    m->__data.__owner = mn_kernel_tid();
    return 0;
}
