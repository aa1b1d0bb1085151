/* pthread_barrier_*: in glibc's 32-byte pthread_barrier_t. The last
 * thread to arrive resets the count, starts a new generation and wakes
 * the others, who wait for the generation to change.
 * A process-shared barrier is glibc's, layout and protocol (an ABI with
 * processes mnrt does not run): its word at glibc's `shared` offset is not
 * 0 (glibc writes its futex flag there), and every call on it is glibc's
 * own, a G's P handed off while it may block (MN_BLOCKING). A private one
 * keeps that word 0. */
#include "shim/pthread_impl.h"

#include "shim/sys.h"

#include <limits.h>
#include <stddef.h>
#include <string.h>

struct mn_barrier {
    uint32_t count;
    _Atomic uint32_t arrived;
    _Atomic uint32_t generation;
    uint32_t shared; /* glibc's `shared`: 0 here */
};

_Static_assert(sizeof(struct mn_barrier) <= sizeof(pthread_barrier_t), "barrier layout");
_Static_assert(offsetof(struct mn_barrier, shared) == 12, "glibc's barrier keeps `shared` there");

static bool is_shared(pthread_barrier_t *b)
{
    return ((struct mn_barrier *)b)->shared != 0;
}

MN_EXPORT int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr,
                                   unsigned count)
{
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr && pthread_barrierattr_getpshared(attr, &pshared) != 0)
        return EINVAL;
    if (pshared == PTHREAD_PROCESS_SHARED)
        return mn_real.pthread_barrier_init(b, attr, count);
    if (count == 0 || count > INT_MAX)
        return EINVAL;
    struct mn_barrier *br = (struct mn_barrier *)b;
    memset(b, 0, sizeof *b);
    br->count = count;
    return 0;
}

MN_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
    if (is_shared(b)) /* it waits for the last round to leave */
        return MN_BLOCKING(mn_real.pthread_barrier_destroy(b));
    struct mn_barrier *br = (struct mn_barrier *)b;
    return atomic_load(&br->arrived) ? EBUSY : 0;
}

MN_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    if (is_shared(b))
        return MN_BLOCKING(mn_real.pthread_barrier_wait(b));
    struct mn_barrier *br = (struct mn_barrier *)b;
    uint32_t gen = atomic_load(&br->generation);
    if (atomic_fetch_add(&br->arrived, 1) + 1 == br->count) {
        atomic_store(&br->arrived, 0);
        atomic_store(&br->generation, gen + 1);
        mn_ufutex_wake(&br->generation, INT_MAX);
        return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    while (atomic_load(&br->generation) == gen)
        mn_ufutex_wait(&br->generation, gen, -1, "barrier");
    return 0;
}
