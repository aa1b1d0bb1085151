/* 10,000 threads blocked at once, on a condition variable and then in
 * sleeps: under mnrt the process keeps at most procs + 4 kernel threads
 * (docs/design.md §17 says <= procs + 8 for servers; here nothing blocks in
 * the kernel), natively one per thread. */
#include "check.h"

#include <pthread.h>
#include <unistd.h>

#define THREADS 10000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting, go;
static int sleeping;

static void *worker(void *arg)
{
    pthread_mutex_lock(&mu);
    waiting++;
    while (!go)
        pthread_cond_wait(&cv, &mu);
    sleeping++;
    pthread_mutex_unlock(&mu);
    usleep(300 * 1000);
    return arg;
}

static int wait_for(int *counter)
{
    for (;;) {
        pthread_mutex_lock(&mu);
        int n = *counter;
        pthread_mutex_unlock(&mu);
        if (n == THREADS)
            return n;
        usleep(1000);
    }
}

int main(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    static pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], &attr, worker, NULL), 0);
    wait_for(&waiting);
    int on_cond = kernel_threads();
    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    wait_for(&sleeping);
    int in_sleep = kernel_threads();
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    if (under_mnrt()) {
        int limit = mnrt_procs() + 4;
        fprintf(stderr, "kernel threads: %d on the condvar, %d in sleeps (limit %d)\n",
                on_cond, in_sleep, limit);
        CHECK(on_cond <= limit, "%d kernel threads with %d blocked on a condvar", on_cond,
              THREADS);
        CHECK(in_sleep <= limit, "%d kernel threads with %d sleeping", in_sleep, THREADS);
    } else {
        CHECK(on_cond > THREADS, "native: %d", on_cond);
    }
    printf("%d threads blocked on a condvar, then in sleeps, all joined\n", THREADS);
    return 0;
}
