/* pthread_once and thread-specific data. pthread_once called by many
 * threads at once runs the routine exactly once and nobody returns before
 * it finished; a routine left by pthread_exit counts as not run, so the
 * next caller runs it (glibc resets the state on unwinding). Key
 * destructors run at thread exit, in the exiting thread, with the values
 * that thread stored, never for NULL values; a destructor that stores a
 * value again is called again, up to PTHREAD_DESTRUCTOR_ITERATIONS times;
 * pthread_key_delete makes every thread's value vanish (a key re-created
 * in its place reads NULL everywhere and the old destructor never runs);
 * EINVAL for deleted keys and EAGAIN when keys run out. mnrt keeps this
 * data per G and runs the destructors itself at G exit (shim/key.c);
 * libraries keep per-thread caches this way and free them in destructors. */
#include "check.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#define ONCE_THREADS 64
#define KEY_THREADS 32
#define NKEYS 3

/* --- pthread_once --- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int once_runs, once_done;

static void once_init(void)
{
    atomic_fetch_add(&once_runs, 1);
    usleep(20 * 1000); /* let the other callers pile up */
    atomic_store(&once_done, 1);
}

static void *once_caller(void *arg)
{
    (void)arg;
    CHECK_ERR(pthread_once(&once, once_init), 0);
    CHECK_EQ(atomic_load(&once_done), 1);
    return NULL;
}

static pthread_once_t once_exit = PTHREAD_ONCE_INIT;
static atomic_int exit_runs;

static void init_that_exits(void)
{
    if (atomic_fetch_add(&exit_runs, 1) == 0)
        pthread_exit((void *)7); /* abandons the routine */
}

static void *once_exit_caller(void *arg)
{
    (void)arg;
    CHECK_ERR(pthread_once(&once_exit, init_that_exits), 0);
    return (void *)1;
}

static void once_tests(void)
{
    pthread_t t[ONCE_THREADS];
    spawn(t, ONCE_THREADS, once_caller);
    join_all(t, ONCE_THREADS);
    CHECK_EQ(atomic_load(&once_runs), 1);
    CHECK_ERR(pthread_once(&once, once_init), 0);
    CHECK_EQ(atomic_load(&once_runs), 1);
    printf("pthread_once: %d concurrent callers, the routine ran once\n", ONCE_THREADS);

    void *r;
    CHECK_ERR(pthread_create(&t[0], NULL, once_exit_caller, NULL), 0);
    CHECK_ERR(pthread_join(t[0], &r), 0);
    CHECK_EQ((intptr_t)r, 7);
    CHECK_ERR(pthread_create(&t[0], NULL, once_exit_caller, NULL), 0);
    CHECK_ERR(pthread_join(t[0], &r), 0);
    CHECK_EQ((intptr_t)r, 1);
    CHECK_ERR(pthread_once(&once_exit, init_that_exits), 0);
    CHECK_EQ(atomic_load(&exit_runs), 2);
    printf("pthread_once: a routine left by pthread_exit runs again for the next caller\n");
}

/* --- destructors at thread exit --- */

static pthread_key_t keys[NKEYS];

struct slot {
    pthread_t owner;
    atomic_int destroyed;
};

static struct slot slots[KEY_THREADS][NKEYS];
static atomic_int wrong_thread;

static void slot_dtor(void *v)
{
    struct slot *s = v;
    if (!pthread_equal(s->owner, pthread_self()))
        atomic_fetch_add(&wrong_thread, 1);
    atomic_fetch_add(&s->destroyed, 1);
}

static void *key_user(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (int k = 0; k < NKEYS; k++) {
        CHECK(pthread_getspecific(keys[k]) == NULL, "a new thread sees another's value");
        slots[i][k].owner = pthread_self();
        /* odd threads store NULL in the last key: no destructor call */
        void *v = (k == NKEYS - 1 && i % 2) ? NULL : &slots[i][k];
        CHECK_ERR(pthread_setspecific(keys[k], v), 0);
    }
    for (int r = 0; r < 20; r++) {
        if (r % 3 == 0)
            sched_yield();
        else
            usleep(100);
        for (int k = 0; k < NKEYS; k++) {
            void *want = (k == NKEYS - 1 && i % 2) ? NULL : &slots[i][k];
            CHECK(pthread_getspecific(keys[k]) == want, "thread %d key %d changed", i, k);
        }
    }
    return NULL;
}

static void destructors_at_exit(void)
{
    for (int k = 0; k < NKEYS; k++)
        CHECK_ERR(pthread_key_create(&keys[k], slot_dtor), 0);
    CHECK_ERR(pthread_setspecific(keys[0], &slots[0][0]), 0); /* main's own, untouched */
    pthread_t t[KEY_THREADS];
    spawn(t, KEY_THREADS, key_user);
    join_all(t, KEY_THREADS);
    int calls = 0;
    for (int i = 0; i < KEY_THREADS; i++)
        for (int k = 0; k < NKEYS; k++) {
            int want = (k == NKEYS - 1 && i % 2) ? 0 : 1;
            CHECK(atomic_load(&slots[i][k].destroyed) == want,
                  "thread %d key %d: %d destructor calls", i, k,
                  atomic_load(&slots[i][k].destroyed));
            calls += want;
        }
    CHECK_EQ(atomic_load(&wrong_thread), 0);
    CHECK(pthread_getspecific(keys[0]) == &slots[0][0], "main's value changed");
    CHECK_ERR(pthread_setspecific(keys[0], NULL), 0);
    for (int k = 0; k < NKEYS; k++)
        CHECK_ERR(pthread_key_delete(keys[k]), 0);
    printf("key destructors: %d calls, each in its own thread with its own value, none "
           "for NULL\n", calls);
}

/* --- destructors that store values again --- */

static pthread_key_t again_key, twice_key, other_key;
static atomic_int again_calls, twice_calls, other_calls;

static void again_dtor(void *v)
{
    atomic_fetch_add(&again_calls, 1);
    pthread_setspecific(again_key, v); /* forever */
}

static void twice_dtor(void *v)
{
    if (atomic_fetch_add(&twice_calls, 1) < 2)
        pthread_setspecific(twice_key, v);
    /* and a key that was processed already in this round */
    if (atomic_load(&twice_calls) == 1)
        pthread_setspecific(other_key, v);
}

static void other_dtor(void *v)
{
    (void)v;
    atomic_fetch_add(&other_calls, 1);
}

static void *resetter(void *arg)
{
    CHECK_ERR(pthread_setspecific(again_key, arg), 0);
    CHECK_ERR(pthread_setspecific(twice_key, arg), 0);
    return NULL;
}

static void destructor_iterations(void)
{
    /* other_key first: keys are processed in order, so the value twice_dtor
     * stores there is found only in the next round */
    CHECK_ERR(pthread_key_create(&other_key, other_dtor), 0);
    CHECK_ERR(pthread_key_create(&again_key, again_dtor), 0);
    CHECK_ERR(pthread_key_create(&twice_key, twice_dtor), 0);
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, resetter, &again_calls), 0);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK_EQ(atomic_load(&again_calls), PTHREAD_DESTRUCTOR_ITERATIONS);
    CHECK_EQ(atomic_load(&twice_calls), 3);
    CHECK_EQ(atomic_load(&other_calls), 1);
    CHECK_ERR(pthread_key_delete(again_key), 0);
    CHECK_ERR(pthread_key_delete(twice_key), 0);
    CHECK_ERR(pthread_key_delete(other_key), 0);
    printf("a destructor that stores again: %d calls (PTHREAD_DESTRUCTOR_ITERATIONS); "
           "one that stores twice: 3 calls\n", atomic_load(&again_calls));
}

/* --- pthread_key_delete --- */

static pthread_key_t deleted_key;
static atomic_int deleted_dtor_calls, holder_state;
static pthread_mutex_t step_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t step_cv = PTHREAD_COND_INITIALIZER;
static int step;

static void deleted_dtor(void *v)
{
    (void)v;
    atomic_fetch_add(&deleted_dtor_calls, 1);
}

static void *value_holder(void *arg)
{
    (void)arg;
    CHECK_ERR(pthread_setspecific(deleted_key, &holder_state), 0);
    atomic_store(&holder_state, 1);
    pthread_mutex_lock(&step_mu);
    while (step == 0)
        pthread_cond_wait(&step_cv, &step_mu);
    pthread_mutex_unlock(&step_mu);
    /* the key was deleted and created again in its place */
    CHECK(pthread_getspecific(deleted_key) == NULL, "a deleted key's value came back");
    return NULL;
}

static void key_delete(void)
{
    CHECK_ERR(pthread_key_create(&deleted_key, deleted_dtor), 0);
    CHECK_ERR(pthread_setspecific(deleted_key, &step), 0);
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, value_holder, NULL), 0);
    WAIT_UNTIL(atomic_load(&holder_state) == 1);
    pthread_key_t old = deleted_key;
    CHECK_ERR(pthread_key_delete(old), 0);
    CHECK_ERR(pthread_key_delete(old), EINVAL);
    CHECK_ERR(pthread_setspecific(old, &step), EINVAL);
    /* create keys until the deleted one's slot comes back */
    static pthread_key_t extra[PTHREAD_KEYS_MAX];
    int nextra = 0;
    for (;;) {
        CHECK_ERR(pthread_key_create(&deleted_key, NULL), 0);
        if (deleted_key == old)
            break;
        extra[nextra++] = deleted_key;
    }
    for (int i = 0; i < nextra; i++)
        CHECK_ERR(pthread_key_delete(extra[i]), 0);
    CHECK(pthread_getspecific(deleted_key) == NULL, "a deleted key's value came back");
    pthread_mutex_lock(&step_mu);
    step = 1;
    pthread_cond_signal(&step_cv);
    pthread_mutex_unlock(&step_mu);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK_EQ(atomic_load(&deleted_dtor_calls), 0);
    CHECK_ERR(pthread_key_delete(deleted_key), 0);
    CHECK_ERR(pthread_key_delete(PTHREAD_KEYS_MAX), EINVAL);
    printf("pthread_key_delete: values vanish in every thread, the destructor never runs, "
           "EINVAL afterwards\n");
}

/* --- running out --- */

static void keys_run_out(void)
{
    static pthread_key_t many[PTHREAD_KEYS_MAX + 1];
    int n = 0, err;
    while ((err = pthread_key_create(&many[n], NULL)) == 0) {
        CHECK(n < PTHREAD_KEYS_MAX, "more than PTHREAD_KEYS_MAX keys");
        n++;
    }
    CHECK_ERR(err, EAGAIN);
    CHECK(n > PTHREAD_KEYS_MAX - 16, "only %d keys", n);
    CHECK_ERR(pthread_setspecific(many[n - 1], &n), 0);
    CHECK(pthread_getspecific(many[n - 1]) == &n, "last key");
    for (int i = 0; i < n; i++)
        CHECK_ERR(pthread_key_delete(many[i]), 0);
    printf("keys run out with EAGAIN at PTHREAD_KEYS_MAX\n");
}

int main(void)
{
    once_tests();
    destructors_at_exit();
    destructor_iterations();
    key_delete();
    keys_run_out();
    return 0;
}
