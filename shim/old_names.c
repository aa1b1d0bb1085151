/* Older names of interposed functions that glibc still exports for old
 * binaries (the __pthread_* aliases of glibc 2.2.5, *_np spellings,
 * pthread_yield, which new headers redirect to sched_yield). Each forwards
 * to the interposed function, so old binaries run on mnrt too. */
#include "shim/pthread_impl.h"

#include <sched.h>

MN_EXPORT int mn_old_pthread_yield(void) __asm__("pthread_yield");
MN_EXPORT int mn_old_pthread_yield(void)
{
    return sched_yield();
}

MN_EXPORT int mn_old_mutex_consistent_np(pthread_mutex_t *m) __asm__("pthread_mutex_consistent_np");
MN_EXPORT int mn_old_mutex_consistent_np(pthread_mutex_t *m)
{
    return pthread_mutex_consistent(m);
}

MN_EXPORT int __pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    return pthread_mutex_init(m, a);
}

MN_EXPORT int __pthread_mutex_destroy(pthread_mutex_t *m)
{
    return pthread_mutex_destroy(m);
}

MN_EXPORT int __pthread_mutex_lock(pthread_mutex_t *m)
{
    return pthread_mutex_lock(m);
}

MN_EXPORT int __pthread_mutex_trylock(pthread_mutex_t *m)
{
    return pthread_mutex_trylock(m);
}

MN_EXPORT int __pthread_mutex_unlock(pthread_mutex_t *m)
{
    return pthread_mutex_unlock(m);
}

MN_EXPORT int __pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *a)
{
    return pthread_rwlock_init(l, a);
}

MN_EXPORT int __pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    return pthread_rwlock_destroy(l);
}

MN_EXPORT int __pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    return pthread_rwlock_rdlock(l);
}

MN_EXPORT int __pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    return pthread_rwlock_tryrdlock(l);
}

MN_EXPORT int __pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    return pthread_rwlock_wrlock(l);
}

MN_EXPORT int __pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    return pthread_rwlock_trywrlock(l);
}

MN_EXPORT int __pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    return pthread_rwlock_unlock(l);
}

MN_EXPORT int __pthread_once(pthread_once_t *o, void (*fn)(void))
{
    return pthread_once(o, fn);
}

MN_EXPORT int __pthread_key_create(pthread_key_t *k, void (*dtor)(void *))
{
    return pthread_key_create(k, dtor);
}

MN_EXPORT void *__pthread_getspecific(pthread_key_t k)
{
    return pthread_getspecific(k);
}

MN_EXPORT int __pthread_setspecific(pthread_key_t k, const void *v)
{
    return pthread_setspecific(k, v);
}
