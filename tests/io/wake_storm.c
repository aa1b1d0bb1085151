/* Wake-ups of the thread that sleeps in the poller are never lost, also
 * when they come while it is handling the previous one: sleepers start
 * short timers (each new earliest timer wakes the poller's sleeper) while
 * two pairs of threads bounce bytes over pipes (so the sleeper is busy
 * handing out readiness), many thousand times. Then, with everything else
 * quiet, the main thread sleeps a few times: if a wake-up had been lost
 * for good, nobody would watch its timer and it would never wake (the
 * runner's timeout fails the test). Eight rounds: with the lost wake-up
 * of the first epoll protocol, 2 of 5 single rounds hung. Written for the epoll poller (run
 * with MNRT_POLLER=epoll), whose wake-up protocol it checks; the output
 * is the same natively and under the preload. */
#include "check.h"

#include <stdatomic.h>

#define SLEEPERS 4
#define SLEEPS 4000
#define BOUNCES 40000
#define ROUNDS 8

static atomic_int sleeps_done;

static void *sleeper(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (int i = 0; i < SLEEPS; i++) {
        struct timespec ts = {0, 1000 + (long)(rand_r(&seed) % 50) * 1000};
        CHECK_EQ(nanosleep(&ts, NULL), 0);
        atomic_fetch_add(&sleeps_done, 1);
    }
    return NULL;
}

struct bounce {
    int in, out;
};

static void *bouncer(void *arg)
{
    struct bounce *b = arg;
    for (int i = 0; i < BOUNCES; i++) {
        unsigned char c;
        CHECK_EQ(read(b->in, &c, 1), 1);
        CHECK_EQ(write(b->out, &c, 1), 1);
    }
    return NULL;
}

static void storm(void)
{
    pthread_t sleepers[SLEEPERS], bouncers[4];
    struct bounce ends[4];
    int fds[8];
    for (int pair = 0; pair < 2; pair++) {
        int *ab = &fds[4 * pair], *ba = &fds[4 * pair + 2];
        CHECK_EQ(pipe(ab), 0);
        CHECK_EQ(pipe(ba), 0);
        ends[2 * pair] = (struct bounce){ba[0], ab[1]};
        ends[2 * pair + 1] = (struct bounce){ab[0], ba[1]};
        unsigned char start = 'x';
        CHECK_EQ(write(ab[1], &start, 1), 1); /* one byte in flight per pair */
    }
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_create(&bouncers[i], NULL, bouncer, &ends[i]), 0);
    for (int i = 0; i < SLEEPERS; i++)
        CHECK_EQ(pthread_create(&sleepers[i], NULL, sleeper, (void *)(uintptr_t)(i + 1)), 0);
    for (int i = 0; i < SLEEPERS; i++)
        CHECK_EQ(pthread_join(sleepers[i], NULL), 0);
    /* the bouncers stop on their own count; one byte of each pair is left */
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_join(bouncers[i], NULL), 0);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(close(fds[i]), 0);
}

int main(void)
{
    for (int round = 0; round < ROUNDS; round++) {
        storm();
        for (int i = 0; i < 20; i++) {
            struct timespec ts = {0, 2 * 1000 * 1000};
            CHECK_EQ(nanosleep(&ts, NULL), 0);
        }
    }
    printf("%d rounds: %d sleeps, %d bounces, each followed by 20 quiet sleeps\n", ROUNDS,
           atomic_load(&sleeps_done), ROUNDS * 4 * BOUNCES);
    return 0;
}
