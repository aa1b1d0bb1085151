/* Unnamed (and named) POSIX semaphores in glibc's sem_t, with glibc's
 * layout so that sem_open'ed semaphores shared with other processes keep
 * working: the value in the low 32 bits, the number of waiters in the
 * high 32 bits of the first word, then `private`: glibc's futex flag
 * word, 0 (LLL_PRIVATE) for process-private, 128 (LLL_SHARED) for shared
 * (sem_init with pshared, and every sem_open'ed one). Once read the other
 * way round: a sem_open'ed semaphore waited in the process's own queues,
 * so a post from another process never woke it (Python's multiprocessing
 * hung). Private semaphores wait in the wait
 * queues; shared ones on a kernel futex on the value, as glibc does, a
 * G with its P handed off meanwhile (mn_shared_wait).
 * A handler that runs on a waiting G ends sem_wait with EINTR unless it
 * has SA_RESTART, sem_timedwait always. */
#include "shim/pthread_impl.h"

#include "core/signals.h"

#include <limits.h>
#include <semaphore.h>

#define SEM_SHARED 128

struct mn_sem {
    _Atomic uint32_t value;
    _Atomic uint32_t nwaiters;
    int32_t private;
    int32_t pad;
};

_Static_assert(sizeof(struct mn_sem) <= sizeof(sem_t), "sem layout");

static inline struct mn_sem *S(sem_t *s)
{
    return (struct mn_sem *)s;
}

static int fail(int err)
{
    errno = err;
    return -1;
}

MN_EXPORT int sem_init(sem_t *s, int pshared, unsigned value)
{
    if (value > SEM_VALUE_MAX)
        return fail(EINVAL);
    struct mn_sem *sm = S(s);
    atomic_store(&sm->value, value);
    atomic_store(&sm->nwaiters, 0);
    sm->private = pshared ? SEM_SHARED : 0;
    sm->pad = 0;
    return 0;
}

MN_EXPORT int sem_destroy(sem_t *s)
{
    (void)s;
    return 0;
}

static bool try_take(struct mn_sem *sm)
{
    uint32_t v = atomic_load(&sm->value);
    while (v > 0)
        if (atomic_compare_exchange_weak(&sm->value, &v, v - 1))
            return true;
    return false;
}

/* A process-shared semaphore's wait in the kernel, which ends a timed
 * wait with EINTR for any handler, SA_RESTART or not, mnrt's own too
 * (preemption's SIGURG, core/preempt.h, may land as the thread goes to
 * sleep): only a program's handler ends it (randomized CI: sem_clockwait
 * failed with EINTR, 1 run in 40 of tests/programs/semaphores). */
static int shared_wait_intr(_Atomic uint32_t *value, int64_t deadline)
{
    mn_g *g = mn_tls_g;
    for (;;) {
        uint32_t ran = g ? g->handlers_run : 0;
        int r = mn_shared_wait(value, 0, deadline);
        if (r != EINTR || !g || g->handlers_run != ran)
            return r;
    }
}

static int wait_until(sem_t *s, int64_t deadline)
{
    mn_cancel_point();
    struct mn_sem *sm = S(s);
    if (try_take(sm))
        return 0;
    bool shared = sm->private == SEM_SHARED;
    atomic_fetch_add(&sm->nwaiters, 1);
    int err = 0;
    while (!try_take(sm)) {
        int r = shared ? shared_wait_intr(&sm->value, deadline)
                       : mn_ufutex_wait_intr(&sm->value, 0, deadline, "semaphore");
        /* a timed wait always fails when a handler ran, an untimed one
         * unless SA_RESTART, as glibc's on the kernel's futex (which
         * decides for itself in the shared case) */
        if (r == EINTR && !shared && !mn_sig_should_fail(deadline < 0))
            continue;
        if (r == ETIMEDOUT || r == EINTR) {
            err = r;
            break;
        }
    }
    atomic_fetch_sub(&sm->nwaiters, 1);
    return err ? fail(err) : 0;
}

MN_EXPORT int sem_wait(sem_t *s)
{
    return wait_until(s, -1);
}

MN_EXPORT int sem_trywait(sem_t *s)
{
    return try_take(S(s)) ? 0 : fail(EAGAIN);
}

static int clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
    int64_t deadline; /* glibc checks the time before it tries */
    int err = mn_abs_deadline(clock, abstime, &deadline);
    if (err)
        return fail(err);
    return wait_until(s, deadline);
}

MN_EXPORT int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    return clockwait(s, CLOCK_REALTIME, abstime);
}

MN_EXPORT int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
    return clockwait(s, clock, abstime);
}

MN_EXPORT int sem_post(sem_t *s)
{
    struct mn_sem *sm = S(s);
    uint32_t v = atomic_load(&sm->value);
    do {
        if (v >= SEM_VALUE_MAX)
            return fail(EOVERFLOW);
    } while (!atomic_compare_exchange_weak(&sm->value, &v, v + 1));
    if (atomic_load(&sm->nwaiters) != 0)
        mn_word_wake(&sm->value, 1, sm->private == SEM_SHARED);
    mn_release_point();
    return 0;
}

MN_EXPORT int sem_getvalue(sem_t *s, int *value)
{
    *value = (int)atomic_load(&S(s)->value);
    return 0;
}
