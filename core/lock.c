/* mn_lock slow paths: see lock.h. */
#include "core/lock.h"

#include "core/futex.h"

__thread struct mn_held *mn_tls_held;

void mn_lock_slow(mn_lock *l)
{
    for (int i = 0; i < 100; i++) {
        uint32_t zero = 0;
        if (atomic_load_explicit(&l->state, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_weak_explicit(&l->state, &zero, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        mn_cpu_relax();
    }
    while (atomic_exchange_explicit(&l->state, 2, memory_order_acquire) != 0)
        mn_futex_wait(&l->state, 2, -1, false);
}

void mn_unlock_slow(mn_lock *l)
{
    mn_futex_wake(&l->state, 1, false);
}
