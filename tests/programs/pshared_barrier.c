/* Process-shared barriers used by two processes (pshared.h: the other one
 * native, preloaded or forked; this one native or preloaded), in glibc's
 * layout and protocol: 1 thread a side for 300 rounds, then 2 a side for
 * 150. In every round each thread counts itself in before the barrier and
 * must find everyone counted in after it; exactly one thread a round gets
 * PTHREAD_BARRIER_SERIAL_THREAD. (A lost wake-up is a hang: the alarm of
 * pshared.h ends it.) */
#include <pthread.h>
#include <stdatomic.h>

struct shm {
    _Atomic int step;
    pthread_barrier_t b;
    int parties, rounds;
    _Atomic long arrived;
    _Atomic long serial;
};

#include "pshared.h"

static void *party(void *arg)
{
    struct shm *s = arg;
    for (int r = 0; r < s->rounds; r++) {
        atomic_fetch_add(&s->arrived, 1);
        int ret = pthread_barrier_wait(&s->b);
        CHECK(ret == 0 || ret == PTHREAD_BARRIER_SERIAL_THREAD, "pthread_barrier_wait: %d", ret);
        if (ret == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&s->serial, 1);
        long arrived = atomic_load(&s->arrived);
        CHECK(arrived >= (long)(r + 1) * s->parties, "round %d: %ld arrived", r, arrived);
        /* nobody may count itself into round r + 2 before everyone left r */
        CHECK(arrived <= (long)(r + 2) * s->parties, "round %d: %ld arrived", r, arrived);
    }
    return NULL;
}

static void side(struct shm *s)
{
    int n = s->parties / 2;
    pthread_t t[4];
    for (int i = 0; i < n; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, party, s), 0);
    join_all(t, n);
}

static void setup(struct shm *s, int parties, int rounds)
{
    pthread_barrierattr_t a;
    CHECK_EQ(pthread_barrierattr_init(&a), 0);
    CHECK_EQ(pthread_barrierattr_setpshared(&a, PTHREAD_PROCESS_SHARED), 0);
    CHECK_EQ(pthread_barrier_init(&s->b, &a, parties), 0);
    CHECK_EQ(pthread_barrierattr_destroy(&a), 0);
    s->parties = parties;
    s->rounds = rounds;
}

static void two(struct shm *s)
{
    setup(s, 2, 300);
}
static void four(struct shm *s)
{
    setup(s, 4, 150);
}

static bool parent(struct shm *s, pid_t other)
{
    (void)other;
    side(s);
    await_step(&s->step, 1);
    CHECK_EQ(atomic_load(&s->serial), s->rounds);
    CHECK_EQ(atomic_load(&s->arrived), (long)s->rounds * s->parties);
    return false;
}

static void other(struct shm *s)
{
    side(s);
    set_step(&s->step, 1);
}

static const struct scenario scenarios[] = {
    {"barrier, 1 thread a side", two, parent, other},
    {"barrier, 2 threads a side", four, parent, other},
};

int main(int argc, char **argv)
{
    return pshared_main(argc, argv, scenarios, sizeof scenarios / sizeof *scenarios);
}
