/* pthread_spin_*: an int that is 0 when free. A spinner that fails for a
 * while yields, so that a holder preempted on the same P (or a holder
 * that parked) gets to run and release it: a spinning G must never starve
 * the holder on its own P. */
#include "shim/pthread_impl.h"

#include <sched.h>

#define SPINS_BEFORE_YIELD 64

static inline _Atomic int *S(pthread_spinlock_t *l)
{
    return (_Atomic int *)l;
}

MN_EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
    (void)pshared;
    atomic_store(S(l), 0);
    return 0;
}

MN_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l)
{
    (void)l;
    return 0;
}

MN_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
    int zero = 0;
    return atomic_compare_exchange_strong_explicit(S(l), &zero, 1, memory_order_acquire,
                                                   memory_order_relaxed)
               ? 0
               : EBUSY;
}

MN_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
    for (int i = 0;; i++) {
        int zero = 0;
        if (atomic_load_explicit(S(l), memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(S(l), &zero, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 0;
        if (i < SPINS_BEFORE_YIELD) {
            mn_cpu_relax();
        } else {
            mn_yield();
            i = 0;
        }
    }
}

MN_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
    atomic_store_explicit(S(l), 0, memory_order_release);
    return 0;
}
