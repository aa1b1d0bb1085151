/* A runnable thread gets to run while other threads keep handing the CPU
 * to each other: main creating and joining a short thread in a loop, and a
 * chain of detached threads each creating the next, both until a thread
 * made before them has run. Under mnrt each new thread goes to its P's
 * runnext and inherits the time slice of its creator (Go's inheritTime),
 * so the queued thread waits behind them; sysmon ends such a slice after
 * 2 ms, as others wait (core/sched.c schedule). Before that, it waited for ever: the
 * failure is a hang, caught by the runner's timeout.
 *
 * With the argument "yield", a thread calls sched_yield in a loop meanwhile,
 * so that with 2 Ps the other P is never idle and never steals the waiting
 * thread (meson.build runs it so, and without it with 1 P). */
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>

static atomic_int waiter_ran, yielder_up, stop;
static sem_t chain_done;
static pthread_attr_t detached;

static void *waiter(void *arg)
{
    (void)arg;
    atomic_store(&waiter_ran, 1);
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

static void *yielder(void *arg)
{
    (void)arg;
    atomic_store(&yielder_up, 1);
    while (!atomic_load(&stop))
        sched_yield();
    return NULL;
}

static void *chain_link(void *arg)
{
    if (atomic_load(&waiter_ran)) {
        sem_post(&chain_done);
        return NULL;
    }
    pthread_t t;
    CHECK_EQ(pthread_create(&t, &detached, chain_link, arg), 0);
    return NULL;
}

/* main creates and joins a thread until the waiter ran */
static void create_join_loop(void)
{
    atomic_store(&waiter_ran, 0);
    pthread_t w, t;
    CHECK_EQ(pthread_create(&w, NULL, waiter, NULL), 0);
    while (!atomic_load(&waiter_ran)) {
        CHECK_EQ(pthread_create(&t, NULL, nothing, NULL), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
    CHECK_EQ(pthread_join(w, NULL), 0);
    printf("create/join loop: the waiting thread ran\n");
}

/* detached threads create the next one until the waiter ran */
static void spawn_chain(void)
{
    atomic_store(&waiter_ran, 0);
    pthread_t w, t;
    CHECK_EQ(pthread_create(&w, NULL, waiter, NULL), 0);
    CHECK_EQ(pthread_create(&t, &detached, chain_link, NULL), 0);
    CHECK_EQ(pthread_join(w, NULL), 0);
    CHECK_EQ(sem_wait(&chain_done), 0);
    printf("spawn chain: the waiting thread ran\n");
}

int main(int argc, char **argv)
{
    bool yield = argc > 1 && strcmp(argv[1], "yield") == 0;
    CHECK_EQ(sem_init(&chain_done, 0, 0), 0);
    CHECK_EQ(pthread_attr_init(&detached), 0);
    CHECK_EQ(pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED), 0);
    pthread_t y;
    if (yield) {
        CHECK_EQ(pthread_create(&y, NULL, yielder, NULL), 0);
        while (!atomic_load(&yielder_up))
            ; /* no call into mnrt: another P takes the yielder */
    }
    create_join_loop();
    spawn_chain();
    if (yield) {
        atomic_store(&stop, 1);
        CHECK_EQ(pthread_join(y, NULL), 0);
    }
    return 0;
}
