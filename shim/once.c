/* pthread_once: 0 not run, 1 running, 2 done (glibc's values, so
 * PTHREAD_ONCE_INIT is 0). Others wait for the runner. If the init routine
 * leaves by unwinding (pthread_exit, an exception), the cleanup resets the
 * state and wakes the waiters, one of whom runs it again, as POSIX asks
 * for cancellation. Compiled with -fexceptions so that the cleanup runs
 * during unwinding. */
#include "shim/pthread_impl.h"

#include <limits.h>

enum { ONCE_INIT = 0, ONCE_RUNNING = 1, ONCE_DONE = 2 };

static void reset_on_unwind(_Atomic uint32_t **state)
{
    if (*state) {
        atomic_store(*state, ONCE_INIT);
        mn_word_wake(*state, INT_MAX, false);
    }
}

MN_EXPORT int pthread_once(pthread_once_t *once, void (*init)(void))
{
    _Atomic uint32_t *state = (_Atomic uint32_t *)once;
    for (;;) {
        uint32_t s = atomic_load_explicit(state, memory_order_acquire);
        if (s == ONCE_DONE)
            return 0;
        if (s == ONCE_INIT) {
            if (!atomic_compare_exchange_strong(state, &s, ONCE_RUNNING))
                continue;
            _Atomic uint32_t *guard __attribute__((cleanup(reset_on_unwind))) = state;
            init();
            guard = NULL;
            atomic_store_explicit(state, ONCE_DONE, memory_order_release);
            mn_word_wake(state, INT_MAX, false);
            return 0;
        }
        mn_word_wait(state, s, -1, false, "once");
    }
}
