/* Semaphores shared with another process (pshared.h: native, preloaded
 * or forked, with this process native or preloaded): a named one
 * (sem_open) and an unnamed one (sem_init with pshared) in the shared
 * file. The two sides take turns 20 times: each waits in sem_timedwait
 * until the other has seen it waiting (glibc's waiter count, the high half
 * of the semaphore's first word) and posts. */
#include <pthread.h>
#include <stdatomic.h>
#include <semaphore.h>

struct shm {
    _Atomic int step;
    sem_t unnamed;
    char name[64];
};

#include "pshared.h"

#define ROUNDS 20

static sem_t *parent_named;

static unsigned waiters(sem_t *sem)
{
    return atomic_load((_Atomic unsigned *)sem + 1);
}

static void take(sem_t *sem)
{
    struct timespec limit = limit_rt();
    CHECK(sem_timedwait(sem, &limit) == 0, "sem_timedwait: %s", strerror(errno));
}

static void post_to_waiter(sem_t *sem)
{
    WAIT_UNTIL(waiters(sem) > 0);
    CHECK(sem_post(sem) == 0, "sem_post: %s", strerror(errno));
}

static void parent_turns(struct shm *s, sem_t *sem)
{
    for (int r = 0; r < ROUNDS; r++) {
        post_to_waiter(sem);
        await_step(&s->step, 2 * r + 1);
        take(sem);
        set_step(&s->step, 2 * r + 2);
    }
}

static void other_turns(struct shm *s, sem_t *sem)
{
    for (int r = 0; r < ROUNDS; r++) {
        take(sem);
        set_step(&s->step, 2 * r + 1);
        post_to_waiter(sem);
        await_step(&s->step, 2 * r + 2);
    }
}

static void named_setup(struct shm *s)
{
    snprintf(s->name, sizeof s->name, "/mnrt-pshared-sem-%d", (int)getpid());
    parent_named = sem_open(s->name, O_CREAT | O_EXCL, 0600, 0);
    CHECK(parent_named != SEM_FAILED, "sem_open: %s", strerror(errno));
}

static bool named_parent(struct shm *s, pid_t other)
{
    (void)other;
    parent_turns(s, parent_named);
    CHECK_EQ(sem_close(parent_named), 0);
    CHECK_EQ(sem_unlink(s->name), 0);
    return false;
}

static void named_other(struct shm *s)
{
    sem_t *sem = sem_open(s->name, 0);
    CHECK(sem != SEM_FAILED, "sem_open: %s", strerror(errno));
    other_turns(s, sem);
}

static void unnamed_setup(struct shm *s)
{
    CHECK_EQ(sem_init(&s->unnamed, 1, 0), 0);
}

static bool unnamed_parent(struct shm *s, pid_t other)
{
    (void)other;
    parent_turns(s, &s->unnamed);
    return false;
}

static void unnamed_other(struct shm *s)
{
    other_turns(s, &s->unnamed);
}

static const struct scenario scenarios[] = {
    {"named semaphore", named_setup, named_parent, named_other},
    {"unnamed semaphore in shared memory", unnamed_setup, unnamed_parent, unnamed_other},
};

int main(int argc, char **argv)
{
    return pshared_main(argc, argv, scenarios, sizeof scenarios / sizeof *scenarios);
}
