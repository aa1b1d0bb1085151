/* mn_lock: mnrt's internal mutual exclusion for short critical sections
 * (scheduler lists, wait-queue buckets, timer heaps). A three-state futex
 * lock (0 free, 1 held, 2 held with sleepers) that spins briefly, then
 * sleeps in the kernel. It blocks the kernel thread, never parks a G:
 * so nothing may park (switch to another G) while holding one. */
#ifndef MN_CORE_LOCK_H
#define MN_CORE_LOCK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    _Atomic uint32_t state;
} mn_lock;

/* mn_locks the running thread holds (its TLS: a G's own, as none is held
 * across a park): a signal handler that finds one held runs no program
 * code (core/signals.h). */
extern __thread int mn_locks_held;

#define MN_LOCK_INIT {0}

void mn_lock_slow(mn_lock *l);
void mn_unlock_slow(mn_lock *l);

static inline void mn_lock_acquire(mn_lock *l)
{
    uint32_t zero = 0;
    mn_locks_held++;
    atomic_signal_fence(memory_order_seq_cst);
    if (!atomic_compare_exchange_strong_explicit(&l->state, &zero, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        mn_lock_slow(l);
}

static inline bool mn_lock_try(mn_lock *l)
{
    uint32_t zero = 0;
    mn_locks_held++;
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_compare_exchange_strong_explicit(&l->state, &zero, 1, memory_order_acquire,
                                                memory_order_relaxed))
        return true;
    mn_locks_held--;
    return false;
}

static inline void mn_lock_release(mn_lock *l)
{
    if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
        mn_unlock_slow(l);
    atomic_signal_fence(memory_order_seq_cst);
    mn_locks_held--;
}

static inline void mn_cpu_relax(void)
{
    __builtin_ia32_pause();
}

#endif
