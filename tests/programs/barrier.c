/* Barriers: nobody leaves a round before all have arrived, exactly one
 * thread per round gets PTHREAD_BARRIER_SERIAL_THREAD (the others 0),
 * and the same barrier serves round after round (generations), also when
 * threads race ahead into the next round; a barrier of one never waits;
 * a count of 0 is EINVAL. Also a process-shared barrier used by threads of
 * one process, which mnrt serves with kernel futexes: the threads block
 * their kernel threads and must not stall the others. Parallel programs
 * (OpenMP-style phases) rely on each of these. */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define THREADS 16
#define ROUNDS 300
#define SHARED_THREADS 6
#define SHARED_ROUNDS 100

static pthread_barrier_t barrier;
static int nthreads, nrounds;
static atomic_int arrived[ROUNDS], left[ROUNDS], serial[ROUNDS];

static void *phase_worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < nrounds; r++) {
        atomic_fetch_add(&arrived[r], 1);
        int ret = pthread_barrier_wait(&barrier);
        CHECK(ret == 0 || ret == PTHREAD_BARRIER_SERIAL_THREAD, "barrier_wait returned %d",
              ret);
        if (ret == PTHREAD_BARRIER_SERIAL_THREAD)
            atomic_fetch_add(&serial[r], 1);
        /* everybody arrived before anybody left */
        CHECK_EQ(atomic_load(&arrived[r]), nthreads);
        atomic_fetch_add(&left[r], 1);
        /* the previous round's stragglers may still be leaving; a thread
         * that races ahead waits for them at the next round */
        if (r % 7 == 0)
            sched_yield();
    }
    return NULL;
}

static void run_rounds(const char *name, int threads, int rounds)
{
    nthreads = threads;
    nrounds = rounds;
    for (int r = 0; r < rounds; r++) {
        atomic_store(&arrived[r], 0);
        atomic_store(&left[r], 0);
        atomic_store(&serial[r], 0);
    }
    pthread_t t[THREADS];
    spawn(t, threads, phase_worker);
    join_all(t, threads);
    for (int r = 0; r < rounds; r++) {
        CHECK_EQ(atomic_load(&serial[r]), 1);
        CHECK_EQ(atomic_load(&left[r]), threads);
    }
    CHECK_ERR(pthread_barrier_destroy(&barrier), 0);
    printf("%s: %d threads, %d rounds, one serial thread per round\n", name, threads, rounds);
}

int main(void)
{
    pthread_barrier_t b;
    CHECK_ERR(pthread_barrier_init(&b, NULL, 0), EINVAL);
    printf("count 0: EINVAL\n");

    CHECK_ERR(pthread_barrier_init(&b, NULL, 1), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(pthread_barrier_wait(&b), PTHREAD_BARRIER_SERIAL_THREAD);
    CHECK_ERR(pthread_barrier_destroy(&b), 0);
    printf("count 1: every wait returns at once as the serial thread\n");

    CHECK_ERR(pthread_barrier_init(&barrier, NULL, THREADS), 0);
    run_rounds("private", THREADS, ROUNDS);

    pthread_barrierattr_t attr;
    CHECK_ERR(pthread_barrierattr_init(&attr), 0);
    CHECK_ERR(pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
    CHECK_ERR(pthread_barrier_init(&barrier, &attr, SHARED_THREADS), 0);
    CHECK_ERR(pthread_barrierattr_destroy(&attr), 0);
    run_rounds("process-shared", SHARED_THREADS, SHARED_ROUNDS);
    return 0;
}
