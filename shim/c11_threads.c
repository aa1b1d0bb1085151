/* C11 <threads.h>: glibc implements thrd_*, mtx_*, cnd_*, tss_* and
 * call_once on its internal pthread functions, which interposition cannot
 * reach, so mnrt serves them itself on the same objects (mtx_t, cnd_t,
 * tss_t and once_flag have the pthread types' layouts in glibc). */
#include "shim/pthread_impl.h"

#include <threads.h>

static int thrd_err(int err)
{
    switch (err) {
    case 0: return thrd_success;
    case ETIMEDOUT: return thrd_timedout;
    case EBUSY: return thrd_busy;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
    }
}

MN_EXPORT int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
    int are = mn_native() ? -1 : mn_threads_begin();
    if (are < 0)
        return mn_real.thrd_create(thr, func, arg);
    if (are > 0)
        return are == ENOMEM ? thrd_nomem : thrd_error;
    struct mn_g_spec spec = {.start = (void *(*)(void *))(void *)func, .arg = arg, .c11 = true,
                             .created_pc = (uintptr_t)__builtin_return_address(0)};
    mn_default_stack(&spec.stack_size, &spec.guard_size);
    mn_g *g;
    int err = mn_g_new(&spec, &g);
    if (err)
        return err == ENOMEM ? thrd_nomem : thrd_error;
    *thr = (thrd_t)g->tcb;
    mn_g_run(g);
    return thrd_success;
}

MN_EXPORT _Noreturn void thrd_exit(int res)
{
    pthread_exit((void *)(intptr_t)res);
}

MN_EXPORT int thrd_join(thrd_t thr, int *res)
{
    void *r;
    int err = pthread_join((pthread_t)thr, &r);
    if (!err && res)
        *res = (int)(intptr_t)r;
    return thrd_err(err);
}

MN_EXPORT int thrd_detach(thrd_t thr)
{
    return thrd_err(pthread_detach((pthread_t)thr));
}

MN_EXPORT int thrd_sleep(const struct timespec *dur, struct timespec *rem)
{
    int err = clock_nanosleep(CLOCK_REALTIME, 0, dur, rem);
    return err == 0 ? 0 : err == EINTR ? -1 : -2;
}

MN_EXPORT void thrd_yield(void)
{
    sched_yield();
}

MN_EXPORT int mtx_init(mtx_t *m, int type)
{
    int kind = type & mtx_recursive ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_NORMAL;
    if ((type & ~(mtx_recursive | mtx_timed)) != mtx_plain)
        return thrd_error;
    return thrd_err(mn_mutex_init_kind((pthread_mutex_t *)m, kind));
}

MN_EXPORT int mtx_lock(mtx_t *m)
{
    return thrd_err(mn_mutex_lock((pthread_mutex_t *)m, -1, false));
}

MN_EXPORT int mtx_trylock(mtx_t *m)
{
    return thrd_err(mn_mutex_lock((pthread_mutex_t *)m, -1, true));
}

MN_EXPORT int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
    return thrd_err(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}

MN_EXPORT int mtx_unlock(mtx_t *m)
{
    return thrd_err(mn_mutex_unlock((pthread_mutex_t *)m));
}

MN_EXPORT void mtx_destroy(mtx_t *m)
{
    pthread_mutex_destroy((pthread_mutex_t *)m);
}

MN_EXPORT int cnd_init(cnd_t *c)
{
    return thrd_err(pthread_cond_init((pthread_cond_t *)c, NULL));
}

MN_EXPORT int cnd_signal(cnd_t *c)
{
    return thrd_err(pthread_cond_signal((pthread_cond_t *)c));
}

MN_EXPORT int cnd_broadcast(cnd_t *c)
{
    return thrd_err(pthread_cond_broadcast((pthread_cond_t *)c));
}

MN_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
    return thrd_err(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

MN_EXPORT int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m,
                            const struct timespec *restrict ts)
{
    return thrd_err(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts));
}

MN_EXPORT void cnd_destroy(cnd_t *c)
{
    pthread_cond_destroy((pthread_cond_t *)c);
}

MN_EXPORT int tss_create(tss_t *key, tss_dtor_t dtor)
{
    return thrd_err(pthread_key_create((pthread_key_t *)key, dtor));
}

MN_EXPORT void *tss_get(tss_t key)
{
    return pthread_getspecific((pthread_key_t)key);
}

MN_EXPORT int tss_set(tss_t key, void *val)
{
    return thrd_err(pthread_setspecific((pthread_key_t)key, val));
}

MN_EXPORT void tss_delete(tss_t key)
{
    pthread_key_delete((pthread_key_t)key);
}

MN_EXPORT void call_once(once_flag *flag, void (*func)(void))
{
    pthread_once((pthread_once_t *)flag, func);
}
