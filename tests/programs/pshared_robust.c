/* Robust process-shared mutexes whose owner dies holding them (pshared.h:
 * the owner's process native, preloaded or forked; this one, the next
 * locker, native or preloaded). The next locker gets EOWNERDEAD, then
 * pthread_mutex_consistent makes the mutex usable again; unlocked without
 * it, the mutex is not recoverable. The owner dies three ways: its process
 * is killed while it holds the mutex in a thread and this process waits
 * in pthread_mutex_timedlock (the kernel marks the mutex and wakes the
 * waiter); its process is killed while the main thread holds it, before
 * anyone waits; its thread exits holding it, the process living on. Also
 * with a priority-inheritance robust mutex (the kernel hands it over). */
#include <pthread.h>
#include <stdatomic.h>
#include <linux/futex.h>

struct shm {
    _Atomic int step;
    pthread_mutex_t m;
    int type, protocol;
};

#include "pshared.h"

static void init_robust(struct shm *s, int type, int protocol)
{
    pthread_mutexattr_t a;
    CHECK_EQ(pthread_mutexattr_init(&a), 0);
    CHECK_EQ(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
    CHECK_EQ(pthread_mutexattr_settype(&a, type), 0);
    CHECK_EQ(pthread_mutexattr_setprotocol(&a, protocol), 0);
    CHECK_EQ(pthread_mutex_init(&s->m, &a), 0);
    CHECK_EQ(pthread_mutexattr_destroy(&a), 0);
    s->type = type;
    s->protocol = protocol;
}

static int timedlock(struct shm *s)
{
    struct timespec limit = limit_rt();
    return pthread_mutex_timedlock(&s->m, &limit);
}

static void kill_other(pid_t other)
{
    killing_other();
    CHECK_EQ(kill(other, SIGKILL), 0);
    int status;
    CHECK_EQ(waitpid(other, &status, 0), other);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the other side ended otherwise");
}

/* The lock the owner died holding: made consistent, usable again. */
static void recover(struct shm *s)
{
    CHECK_ERR(pthread_mutex_consistent(&s->m), 0);
    if (s->type == PTHREAD_MUTEX_ERRORCHECK)
        CHECK_ERR(pthread_mutex_lock(&s->m), EDEADLK);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
    CHECK_ERR(timedlock(s), 0);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
}

static void *owner(void *arg)
{
    struct shm *s = arg;
    CHECK_ERR(timedlock(s), 0);
    set_step(&s->step, 1);
    for (;;)
        pause();
    return NULL;
}

/* the other side: a thread takes the mutex and the process waits to die */
static void thread_holds(struct shm *s)
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, owner, s), 0);
    for (;;)
        pause();
}

static void *waiter(void *arg)
{
    struct shm *s = arg;
    CHECK_ERR(timedlock(s), EOWNERDEAD);
    recover(s);
    return NULL;
}

static bool killed_while_waited(struct shm *s, pid_t other)
{
    await_step(&s->step, 1);
    CHECK_ERR(pthread_mutex_trylock(&s->m), EBUSY);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, waiter, s), 0);
    WAIT_UNTIL(atomic_load((_Atomic unsigned *)&s->m.__data.__lock) & FUTEX_WAITERS);
    kill_other(other);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_ERR(timedlock(s), 0);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
    return true;
}

/* the other side: its main thread takes the mutex and waits to die */
static void main_holds(struct shm *s)
{
    CHECK_ERR(timedlock(s), 0);
    set_step(&s->step, 1);
    for (;;)
        pause();
}

static bool killed_then_locked(struct shm *s, pid_t other)
{
    await_step(&s->step, 1);
    kill_other(other);
    CHECK_ERR(pthread_mutex_trylock(&s->m), EOWNERDEAD);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0); /* not made consistent */
    CHECK_ERR(timedlock(s), ENOTRECOVERABLE);
    CHECK_ERR(pthread_mutex_trylock(&s->m), ENOTRECOVERABLE);
    return true;
}

static void *lock_and_exit(void *arg)
{
    CHECK_ERR(timedlock(arg), 0);
    return NULL;
}

/* the other side: a thread takes the mutex and exits; the process goes on
 * and takes it again once this one made it consistent */
static void thread_exits(struct shm *s)
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, lock_and_exit, s), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    set_step(&s->step, 1);
    await_step(&s->step, 2);
    CHECK_ERR(timedlock(s), 0);
    CHECK_ERR(pthread_mutex_unlock(&s->m), 0);
}

static bool thread_exited(struct shm *s, pid_t other)
{
    (void)other;
    await_step(&s->step, 1);
    CHECK_ERR(timedlock(s), EOWNERDEAD);
    recover(s);
    set_step(&s->step, 2);
    return false;
}

static void normal(struct shm *s)
{
    init_robust(s, PTHREAD_MUTEX_NORMAL, PTHREAD_PRIO_NONE);
}
static void errorcheck(struct shm *s)
{
    init_robust(s, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_NONE);
}
static void pi_errorcheck(struct shm *s)
{
    init_robust(s, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_PRIO_INHERIT);
}

static const struct scenario scenarios[] = {
    {"robust mutex, owner killed while waited for", errorcheck, killed_while_waited,
     thread_holds},
    {"robust mutex, owner killed, then locked", normal, killed_then_locked, main_holds},
    {"robust mutex, owning thread exits", errorcheck, thread_exited, thread_exits},
    {"robust PI mutex, owner killed while waited for", pi_errorcheck, killed_while_waited,
     thread_holds},
    {"robust PI mutex, owner killed, then locked", pi_errorcheck, killed_then_locked,
     main_holds},
    {"robust PI mutex, owning thread exits", pi_errorcheck, thread_exited, thread_exits},
};

int main(int argc, char **argv)
{
    return pshared_main(argc, argv, scenarios, sizeof scenarios / sizeof *scenarios);
}
