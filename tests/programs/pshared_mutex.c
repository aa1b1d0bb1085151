/* Process-shared mutexes used by two processes (pshared.h: the other one
 * native, preloaded or forked, this one native or preloaded): normal,
 * errorcheck, recursive and priority-inheritance ones, in glibc's layout.
 * The sides take turns holding the mutex: the holder waits until the other
 * is blocked in pthread_mutex_timedlock (the lock word says so: 2 for a
 * normal mutex, FUTEX_WAITERS for a PI one, as glibc and the kernel set it)
 * before it unlocks. Meanwhile the waiter checks what a non-owner gets
 * (trylock: EBUSY, unlock of any but a normal one: EPERM, not
 * EDEADLK or success: owners are told apart across processes), and
 * the holder what an owner gets (relock: EDEADLK, or a second level).
 * Then 4 threads a side add to a counter under the mutex, 3,000 times each. */
#include <pthread.h>
#include <stdatomic.h>
#include <linux/futex.h>

struct shm {
    _Atomic int step;
    pthread_mutex_t m;
    int type, protocol;
    int held;    /* who holds it, written under it */
    long count;  /* under it */
};

#include "pshared.h"

#define ROUNDS 6
#define THREADS 4
#define ADDS 3000

static void init_mutex(struct shm *s, int type, int protocol)
{
    pthread_mutexattr_t a;
    CHECK_EQ(pthread_mutexattr_init(&a), 0);
    CHECK_EQ(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_mutexattr_settype(&a, type), 0);
    CHECK_EQ(pthread_mutexattr_setprotocol(&a, protocol), 0);
    CHECK_EQ(pthread_mutex_init(&s->m, &a), 0);
    CHECK_EQ(pthread_mutexattr_destroy(&a), 0);
    s->type = type;
    s->protocol = protocol;
}

static bool other_blocked(struct shm *s)
{
    unsigned word = atomic_load((_Atomic unsigned *)&s->m.__data.__lock);
    return s->protocol == PTHREAD_PRIO_INHERIT ? (word & FUTEX_WAITERS) != 0 : word == 2;
}

static void lock(struct shm *s)
{
    struct timespec limit = limit_rt();
    CHECK_ERR(pthread_mutex_timedlock(&s->m, &limit), 0);
}

/* Round r: the other side holds in even rounds, the parent in odd ones. */
static void hold(struct shm *s, int r, int me)
{
    lock(s);
    if (s->type == PTHREAD_MUTEX_ERRORCHECK)
        CHECK_ERR(pthread_mutex_lock(&s->m), EDEADLK);
    if (s->type == PTHREAD_MUTEX_RECURSIVE)
        CHECK_ERR(pthread_mutex_lock(&s->m), 0);
    s->held = me;
    s->count++;
    set_step(&s->step, 2 * r + 1);
    WAIT_UNTIL(other_blocked(s));
    if (s->type == PTHREAD_MUTEX_RECURSIVE)
        CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
}

static void wait_for(struct shm *s, int r, int me)
{
    await_step(&s->step, 2 * r + 1);
    CHECK_ERR(pthread_mutex_trylock(&s->m), EBUSY);
    if (s->type != PTHREAD_MUTEX_NORMAL || s->protocol == PTHREAD_PRIO_INHERIT)
        CHECK_ERR(pthread_mutex_unlock(&s->m), EPERM);
    lock(s);
    CHECK(s->held != me && s->count == r + 1, "held by %d, count %ld in round %d", s->held,
          s->count, r);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
    set_step(&s->step, 2 * r + 2);
}

static void turns(struct shm *s, int me)
{
    for (int r = 0; r < ROUNDS; r++) {
        if (r % 2 == me)
            wait_for(s, r, me);
        else
            hold(s, r, me);
        await_step(&s->step, 2 * r + 2);
    }
}

static void *adder(void *arg)
{
    struct shm *s = arg;
    for (int i = 0; i < ADDS; i++) {
        lock(s);
        s->count++;
        CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
    }
    return NULL;
}

static void add_from_threads(struct shm *s)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, adder, s), 0);
    join_all(t, THREADS);
}

static bool turns_parent(struct shm *s, pid_t other)
{
    (void)other;
    turns(s, 0);
    return false;
}

static void turns_other(struct shm *s)
{
    turns(s, 1);
}

static bool adders_parent(struct shm *s, pid_t other)
{
    (void)other;
    add_from_threads(s);
    await_step(&s->step, 1);
    lock(s);
    CHECK_EQ(s->count, 2 * THREADS * ADDS);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
    return false;
}

static void adders_other(struct shm *s)
{
    add_from_threads(s);
    set_step(&s->step, 1);
}

static void normal(struct shm *s)
{
    init_mutex(s, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE);
}
static void errorcheck(struct shm *s)
{
    init_mutex(s, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE);
}
static void recursive(struct shm *s)
{
    init_mutex(s, PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_NONE);
}
static void pi_normal(struct shm *s)
{
    init_mutex(s, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_INHERIT);
}
static void pi_errorcheck(struct shm *s)
{
    init_mutex(s, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_INHERIT);
}
static void pi_recursive(struct shm *s)
{
    init_mutex(s, PTHREAD_MUTEX_RECURSIVE, PTHREAD_PRIO_INHERIT);
}

static const struct scenario scenarios[] = {
    {"normal mutex", normal, turns_parent, turns_other},
    {"errorcheck mutex", errorcheck, turns_parent, turns_other},
    {"recursive mutex", recursive, turns_parent, turns_other},
    {"normal mutex, 4 threads a side", normal, adders_parent, adders_other},
    {"priority-inheritance mutex", pi_normal, turns_parent, turns_other},
    {"priority-inheritance errorcheck mutex", pi_errorcheck, turns_parent, turns_other},
    {"priority-inheritance recursive mutex", pi_recursive, turns_parent, turns_other},
    {"priority-inheritance mutex, 4 threads a side", pi_normal, adders_parent, adders_other},
};

int main(int argc, char **argv)
{
    return pshared_main(argc, argv, scenarios, sizeof scenarios / sizeof *scenarios);
}
