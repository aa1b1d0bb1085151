/* pthread_rwlock_*: readers-writer locks in glibc's 56-byte
 * pthread_rwlock_t. `state` holds the number of readers and a writer bit;
 * `wwait`/`rwait` count threads about to wait or waiting, on the
 * addresses of those two counters. The wait decision is re-checked under
 * the wait-queue lock after the count is published, and every unlock that
 * frees the lock looks at the counts after publishing the new state
 * (seq_cst on both sides), so no wake-up is lost.
 * Preference: readers, unless the kind is
 * PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP (glibc ignores plain
 * PREFER_WRITER_NP too); glibc's static initializer for it sets __flags.
 * A writer relocking, or a reader that holds it for writing: EDEADLK.
 * Unlocking a lock nobody holds, or one another thread holds for writing,
 * is 0 and changes nothing (glibc: 0, and a corrupted lock); the reader
 * count never goes below 0.
 * Process-shared rwlocks (__shared, at the same offset as glibc's, not 0)
 * are glibc's, layout and protocol, an ABI with processes mnrt does not
 * run: every call on one is glibc's own (pshared_owner.c: the G pinned
 * and named by its kernel thread's tid for the call and, a writer, for as
 * long as it holds it; its P handed off while it may block). */
#include "shim/pthread_impl.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

#define WRITER 0x80000000u
#define MAX_READERS 0x7ffffffeu

struct mn_rwlock {
    _Atomic uint32_t state;       /* __readers */
    _Atomic uint32_t wwait;       /* __writers */
    _Atomic uint32_t rwait;       /* __wrphase_futex */
    uint32_t pad3[3];             /* __writers_futex, __pad3, __pad4 */
    _Atomic int32_t cur_writer;   /* __cur_writer */
    int32_t shared;               /* __shared: 0 here, glibc's rwlock otherwise */
    uint8_t elision, pad1[7];
    uint64_t pad2;
    uint32_t flags;               /* __flags */
};

_Static_assert(sizeof(struct mn_rwlock) <= sizeof(pthread_rwlock_t), "rwlock layout");
_Static_assert(offsetof(struct mn_rwlock, flags) ==
                   offsetof(struct __pthread_rwlock_arch_t, __flags), "rwlock flags");
_Static_assert(offsetof(struct mn_rwlock, shared) ==
                   offsetof(struct __pthread_rwlock_arch_t, __shared), "rwlock shared");

static inline struct mn_rwlock *R(pthread_rwlock_t *l)
{
    return (struct mn_rwlock *)l;
}

static bool prefer_writers(struct mn_rwlock *rw)
{
    return rw->flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

static bool reader_must_wait(struct mn_rwlock *rw, uint32_t s)
{
    return (s & WRITER) || (prefer_writers(rw) && atomic_load(&rw->wwait) != 0);
}

static bool reader_check(void *arg)
{
    struct mn_rwlock *rw = arg;
    return reader_must_wait(rw, atomic_load(&rw->state));
}

static bool writer_check(void *arg)
{
    struct mn_rwlock *rw = arg;
    return atomic_load(&rw->state) != 0;
}

/* Waits for a change, on the wait queues. */
static int wait_turn(struct mn_rwlock *rw, bool writer, int64_t deadline)
{
    _Atomic uint32_t *count = writer ? &rw->wwait : &rw->rwait;
    atomic_fetch_add(count, 1);
    int r = mn_waitq_wait(count, writer ? writer_check : reader_check, rw, deadline,
                          writer ? "rwlock write" : "rwlock read");
    atomic_fetch_sub(count, 1);
    return r == ETIMEDOUT ? ETIMEDOUT : 0;
}

static void wake(struct mn_rwlock *rw, bool writer, int n)
{
    mn_waitq_wake(writer ? &rw->wwait : &rw->rwait, n);
}

/* After the lock became free, or readers may enter. */
static void wake_next(struct mn_rwlock *rw, bool was_writer)
{
    bool writers = atomic_load(&rw->wwait) != 0, readers = atomic_load(&rw->rwait) != 0;
    if (writers && (prefer_writers(rw) || !readers || !was_writer)) {
        wake(rw, true, 1);
        if (!prefer_writers(rw) && readers)
            wake(rw, false, INT_MAX);
        return;
    }
    if (readers)
        wake(rw, false, INT_MAX);
}

static int rdlock(pthread_rwlock_t *l, int64_t deadline, bool try_only)
{
    struct mn_rwlock *rw = R(l);
    for (;;) {
        uint32_t s = atomic_load(&rw->state);
        if (!reader_must_wait(rw, s)) {
            if (s >= MAX_READERS)
                return EAGAIN;
            if (atomic_compare_exchange_weak(&rw->state, &s, s + 1))
                return 0;
            continue;
        }
        if (try_only)
            return EBUSY;
        if ((s & WRITER) && atomic_load(&rw->cur_writer) == mn_self_id())
            return EDEADLK;
        if (wait_turn(rw, false, deadline) == ETIMEDOUT)
            return ETIMEDOUT;
    }
}

static int wrlock(pthread_rwlock_t *l, int64_t deadline, bool try_only)
{
    struct mn_rwlock *rw = R(l);
    for (;;) {
        uint32_t zero = 0;
        if (atomic_compare_exchange_strong(&rw->state, &zero, WRITER)) {
            atomic_store(&rw->cur_writer, mn_self_id());
            return 0;
        }
        if (try_only)
            return EBUSY;
        if ((zero & WRITER) && atomic_load(&rw->cur_writer) == mn_self_id())
            return EDEADLK;
        if (wait_turn(rw, true, deadline) == ETIMEDOUT) {
            /* readers held back for us may go now */
            if (prefer_writers(rw) && !(atomic_load(&rw->state) & WRITER))
                wake(rw, false, INT_MAX);
            return ETIMEDOUT;
        }
    }
}

/* --- process-shared: glibc's own calls --- */

static bool is_shared(pthread_rwlock_t *l)
{
    return R(l)->shared != 0;
}

enum how { PLAIN, TRY, TIMED };

static int shared_lock(pthread_rwlock_t *l, bool write, enum how how, clockid_t clock,
                       const struct timespec *abstime)
{
    struct mn_glibc_call c;
    mn_glibc_call_begin(&c);
    int r;
    if (write)
        r = how == TRY     ? mn_real.pthread_rwlock_trywrlock(l)
            : how == TIMED ? mn_real.pthread_rwlock_clockwrlock(l, clock, abstime)
                           : mn_real.pthread_rwlock_wrlock(l);
    else
        r = how == TRY     ? mn_real.pthread_rwlock_tryrdlock(l)
            : how == TIMED ? mn_real.pthread_rwlock_clockrdlock(l, clock, abstime)
                           : mn_real.pthread_rwlock_rdlock(l);
    mn_glibc_call_end(&c, write && r == 0); /* a writer stays pinned */
    return r;
}

static int shared_unlock(pthread_rwlock_t *l)
{
    struct mn_glibc_call c;
    mn_glibc_call_begin(&c);
    /* glibc's test: a writer's pinned thread is named there */
    bool writer = atomic_load(&R(l)->cur_writer) == mn_kernel_tid();
    int r = mn_real.pthread_rwlock_unlock(l);
    mn_glibc_call_end(&c, false);
    if (writer)
        mn_pshared_unpin();
    return r;
}

static int timed(int (*lock)(pthread_rwlock_t *, int64_t, bool), pthread_rwlock_t *l,
                 clockid_t clock, const struct timespec *abstime)
{
    if (is_shared(l))
        return shared_lock(l, lock == wrlock, TIMED, clock, abstime);
    int64_t deadline; /* glibc checks the clock and the time first */
    int err = mn_abs_deadline(clock, abstime, &deadline);
    if (err)
        return err;
    return lock(l, deadline, false);
}

MN_EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
    memset(l, 0, sizeof *l);
    if (attr) {
        int kind, pshared;
        if (pthread_rwlockattr_getkind_np(attr, &kind) != 0 ||
            pthread_rwlockattr_getpshared(attr, &pshared) != 0)
            return EINVAL;
        if (pshared == PTHREAD_PROCESS_SHARED)
            return mn_real.pthread_rwlock_init(l, attr);
        R(l)->flags = (uint32_t)kind;
    }
    return 0;
}

MN_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    if (is_shared(l))
        return mn_real.pthread_rwlock_destroy(l);
    return 0;
}

MN_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    if (is_shared(l))
        return shared_lock(l, false, PLAIN, 0, NULL);
    return rdlock(l, -1, false);
}

MN_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    if (is_shared(l))
        return shared_lock(l, false, TRY, 0, NULL);
    return rdlock(l, -1, true);
}

MN_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    return timed(rdlock, l, CLOCK_REALTIME, abstime);
}

MN_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
                                         const struct timespec *abstime)
{
    return timed(rdlock, l, clock, abstime);
}

MN_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    if (is_shared(l))
        return shared_lock(l, true, PLAIN, 0, NULL);
    return wrlock(l, -1, false);
}

MN_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    if (is_shared(l))
        return shared_lock(l, true, TRY, 0, NULL);
    return wrlock(l, -1, true);
}

MN_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
    return timed(wrlock, l, CLOCK_REALTIME, abstime);
}

MN_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
                                         const struct timespec *abstime)
{
    return timed(wrlock, l, clock, abstime);
}

MN_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    if (is_shared(l))
        return shared_unlock(l);
    struct mn_rwlock *rw = R(l);
    uint32_t s = atomic_load(&rw->state);
    if (s & WRITER) {
        if (atomic_load(&rw->cur_writer) != mn_self_id())
            return 0; /* glibc: a reader's unlock (and a corrupted lock) */
        atomic_store(&rw->cur_writer, 0);
        atomic_store(&rw->state, 0);
        wake_next(rw, true);
        return 0;
    }
    /* a reader's unlock; with no reader left (an unlock too many) glibc
     * says 0 and wraps its count: here the lock stays as it is */
    while (s != 0 && !(s & WRITER)) {
        if (atomic_compare_exchange_weak(&rw->state, &s, s - 1)) {
            if (s == 1)
                wake_next(rw, false);
            return 0;
        }
    }
    return 0;
}
