/* pthread_once, in glibc's encoding (PTHREAD_ONCE_INIT is 0): 0 not run,
 * 2 done, and while an init routine runs, 1 with the fork generation it
 * began in (a multiple of 4, higher in each fork child). Others wait for
 * the runner. If the init routine leaves by unwinding (pthread_exit, an
 * exception), the cleanup resets the state and wakes the waiters, one of
 * whom runs it again, as POSIX asks for cancellation. A routine another
 * thread was running when the process forked never ends in the child,
 * where that thread is not: a caller there that finds it from an older
 * generation runs it again, as glibc's does. Compiled with -fexceptions
 * so that the cleanup runs during unwinding. */
#include "shim/pthread_impl.h"

#include <limits.h>

enum { ONCE_INIT = 0, ONCE_RUNNING = 1, ONCE_DONE = 2, GENERATION_STEP = 4 };

static _Atomic uint32_t fork_generation;

void mn_once_fork_child(void)
{
    atomic_fetch_add(&fork_generation, GENERATION_STEP);
}

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
        uint32_t running = atomic_load(&fork_generation) | ONCE_RUNNING;
        if (s == ONCE_INIT || ((s & ONCE_RUNNING) && s != running)) {
            if (!atomic_compare_exchange_strong(state, &s, running))
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
