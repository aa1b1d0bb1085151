/* Process-shared rwlocks used by two processes (pshared.h: the other one
 * native, preloaded or forked; this one native or preloaded), in glibc's
 * layout and protocol. The sides take turns: one holds the lock (for
 * writing, or for reading) and waits until the other is blocked in a
 * timed lock (glibc marks the futex it blocks on as used) before it
 * unlocks; the waiting side first checks what trylocks give while the
 * other holds it (a writer in another process is not "this thread": EBUSY,
 * not EDEADLK). Then 4 threads a side write a counter and read it, 2,000
 * times each. */
#include <pthread.h>
#include <stdatomic.h>

struct shm {
    _Atomic int step;
    pthread_rwlock_t l;
    long count; /* under l */
};

#include "pshared.h"

#define THREADS 4
#define OPS 2000

enum { FUTEX_USED = 2 }; /* glibc's bit in __wrphase_futex and __writers_futex */

static bool other_blocked(struct shm *s)
{
    return (atomic_load((_Atomic unsigned *)&s->l.__data.__wrphase_futex) |
            atomic_load((_Atomic unsigned *)&s->l.__data.__writers_futex)) &
           FUTEX_USED;
}

static void setup(struct shm *s)
{
    pthread_rwlockattr_t a;
    CHECK_EQ(pthread_rwlockattr_init(&a), 0);
    CHECK_EQ(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_rwlock_init(&s->l, &a), 0);
    CHECK_EQ(pthread_rwlockattr_destroy(&a), 0);
}

static void rdlock(struct shm *s)
{
    struct timespec limit = limit_rt();
    CHECK_ERR(pthread_rwlock_timedrdlock(&s->l, &limit), 0);
}

static void wrlock(struct shm *s)
{
    struct timespec limit = limit_rt();
    CHECK_ERR(pthread_rwlock_timedwrlock(&s->l, &limit), 0);
}

static void unlock(struct shm *s)
{
    CHECK_ERR(pthread_rwlock_unlock(&s->l), 0);
}

/* Round kinds: the holder writes and the waiter reads, the holder writes
 * and the waiter writes, the holder reads and the waiter writes. */
enum { W_THEN_R, W_THEN_W, R_THEN_W, KINDS };

static void hold(struct shm *s, int r)
{
    if (r % KINDS == R_THEN_W) {
        rdlock(s);
    } else {
        wrlock(s);
        CHECK_ERR(pthread_rwlock_trywrlock(&s->l), EBUSY);
        s->count++;
    }
    set_step(&s->step, 2 * r + 1);
    WAIT_UNTIL(other_blocked(s));
    unlock(s);
}

static void wait_for(struct shm *s, int r)
{
    await_step(&s->step, 2 * r + 1);
    CHECK_ERR(pthread_rwlock_trywrlock(&s->l), EBUSY);
    if (r % KINDS == W_THEN_R) {
        CHECK_ERR(pthread_rwlock_tryrdlock(&s->l), EBUSY);
        rdlock(s);
    } else {
        wrlock(s);
    }
    unlock(s);
    set_step(&s->step, 2 * r + 2);
}

static void turns(struct shm *s, int me)
{
    for (int r = 0; r < 2 * KINDS; r++) {
        if (r % 2 == me)
            wait_for(s, r);
        else
            hold(s, r);
        await_step(&s->step, 2 * r + 2);
    }
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

static void *worker(void *arg)
{
    struct shm *s = arg;
    long last = 0;
    for (int i = 0; i < OPS; i++) {
        wrlock(s);
        s->count++;
        unlock(s);
        rdlock(s);
        CHECK(s->count > last, "the count went back: %ld after %ld", s->count, last);
        last = s->count;
        unlock(s);
    }
    return NULL;
}

static void work(struct shm *s)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, worker, s), 0);
    join_all(t, THREADS);
}

static bool workers_parent(struct shm *s, pid_t other)
{
    (void)other;
    work(s);
    await_step(&s->step, 1);
    rdlock(s);
    CHECK_EQ(s->count, 2 * THREADS * OPS);
    unlock(s);
    return false;
}

static void workers_other(struct shm *s)
{
    work(s);
    set_step(&s->step, 1);
}

static const struct scenario scenarios[] = {
    {"rwlock", setup, turns_parent, turns_other},
    {"rwlock, 4 threads a side", setup, workers_parent, workers_other},
};

int main(int argc, char **argv)
{
    return pshared_main(argc, argv, scenarios, sizeof scenarios / sizeof *scenarios);
}
