/* A thread that yields while it holds its allocator's lock, as a thread
 * inside jemalloc (whose locks are pthread mutexes) does when it is
 * preempted or waits: the kernel thread's scheduler, running in its
 * place, must not call that allocator, whose lock it could never get.
 * It did when it made a kernel thread for an idle P (its bookkeeping and
 * glibc's pthread_create allocate): redis-server, which links jemalloc,
 * hung at start-up under load. With 2 Ps: one thread made and joined
 * leaves mnrt a second kernel thread, idle; then the main thread yields
 * 200 times holding the lock: every 61st turn of a P goes through its
 * scheduler, which then wakes an idle P and, finding no idle kernel
 * thread, makes one. */
#include "check.h"
#include "locking_malloc_lib.h"

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, nothing, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    /* the kernel thread that ran it goes idle meanwhile (a sleep here
     * would let it wake for the timer and swap roles with this one) */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000000L + now.tv_nsec - start.tv_nsec < 20000000L);
    locking_malloc_hold();
    for (int i = 0; i < 200; i++)
        sched_yield();
    locking_malloc_release();
    pthread_t more[8];
    for (int i = 0; i < 8; i++)
        CHECK_EQ(pthread_create(&more[i], NULL, nothing, NULL), 0);
    join_all(more, 8);
    printf("200 yields holding the allocator's lock, then 8 threads: done\n");
    return 0;
}
