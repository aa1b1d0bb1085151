/* mn_lock: mnrt's internal mutual exclusion for short critical sections
 * (scheduler lists, wait-queue buckets, timer heaps). A three-state futex
 * lock (0 free, 1 held, 2 held with sleepers) that spins briefly, then
 * sleeps in the kernel. It blocks the kernel thread, never parks a G:
 * so nothing may park (switch to another G) while holding one.
 *
 * Every acquire and release is counted in the M running the caller
 * (mn_m.locks; nothing on a thread that is no M): a lock may be released
 * on another stack than it was taken on (a G parks holding its wait
 * queue's lock and g0 releases it), but always by the same M, so the
 * count is the M's, not a thread-local one. mn_tls_lockcount points at
 * it from the TLS of whatever runs for the M: g0's TLS from the M's start,
 * a G's from the moment the M is about to run it (sched.c begin_running);
 * NULL in other threads. The preemption signal leaves an M whose count is
 * not 0 alone (preempt.h), and so does the program's signal handler
 * (signals.h): counted before taking, uncounted after releasing. */
#ifndef MN_CORE_LOCK_H
#define MN_CORE_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    _Atomic uint32_t state;
} mn_lock;

#define MN_LOCK_INIT {0}

void mn_lock_slow(mn_lock *l);
void mn_unlock_slow(mn_lock *l);
extern __thread int *mn_tls_lockcount;

/* Adds delta to the lock count of the M running the caller. */
static inline void mn_lock_count(int delta)
{
    int *count = mn_tls_lockcount;
    if (count)
        *count += delta;
}

static inline void mn_lock_acquire(mn_lock *l)
{
    mn_lock_count(1);
    atomic_signal_fence(memory_order_seq_cst);
    uint32_t zero = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->state, &zero, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        mn_lock_slow(l);
}

static inline bool mn_lock_try(mn_lock *l)
{
    uint32_t zero = 0;
    mn_lock_count(1); /* before: a signal handler never finds it held uncounted */
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_compare_exchange_strong_explicit(&l->state, &zero, 1, memory_order_acquire,
                                                memory_order_relaxed))
        return true;
    mn_lock_count(-1);
    return false;
}

static inline void mn_lock_release(mn_lock *l)
{
    if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
        mn_unlock_slow(l);
    atomic_signal_fence(memory_order_seq_cst);
    mn_lock_count(-1);
}

static inline void mn_cpu_relax(void)
{
    __builtin_ia32_pause();
}

#endif
