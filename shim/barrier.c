/* pthread_barrier_*: in glibc's 32-byte pthread_barrier_t. The last
 * thread to arrive resets the count, starts a new generation and wakes
 * the others, who wait for the generation to change. */
#include "shim/pthread_impl.h"

#include <limits.h>
#include <string.h>

struct mn_barrier {
    uint32_t count;
    _Atomic uint32_t arrived;
    _Atomic uint32_t generation;
    uint32_t shared;
};

_Static_assert(sizeof(struct mn_barrier) <= sizeof(pthread_barrier_t), "barrier layout");

MN_EXPORT int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr,
                                   unsigned count)
{
    if (count == 0 || count > INT_MAX)
        return EINVAL;
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr && mn_real.pthread_barrierattr_getpshared(attr, &pshared) != 0)
        return EINVAL;
    struct mn_barrier *br = (struct mn_barrier *)b;
    memset(b, 0, sizeof *b);
    br->count = count;
    br->shared = pshared == PTHREAD_PROCESS_SHARED;
    return 0;
}

MN_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
    struct mn_barrier *br = (struct mn_barrier *)b;
    return atomic_load(&br->arrived) ? EBUSY : 0;
}

MN_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    struct mn_barrier *br = (struct mn_barrier *)b;
    uint32_t gen = atomic_load(&br->generation);
    if (atomic_fetch_add(&br->arrived, 1) + 1 == br->count) {
        atomic_store(&br->arrived, 0);
        atomic_store(&br->generation, gen + 1);
        mn_word_wake(&br->generation, INT_MAX, br->shared);
        return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    while (atomic_load(&br->generation) == gen)
        mn_word_wait(&br->generation, gen, -1, br->shared, "barrier");
    return 0;
}
