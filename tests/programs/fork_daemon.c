/* daemon() from a program with threads, then threads in the daemon: the
 * daemon (the child of daemon's fork; its parent exits at once) runs its
 * threads under M:N, on at most procs + 8 kernel threads with 1,000 of
 * them waiting at once. glibc's daemon forks inside libc, where mnrt does
 * not see it: mnrt's daemon is the same call on mnrt's fork. */
#include "check.h"

#define THREADS 1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting, go;

static void *waiter(void *arg)
{
    pthread_mutex_lock(&mu);
    waiting++;
    pthread_cond_broadcast(&cv);
    while (!go)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return arg;
}

int main(void)
{
    pthread_t before;
    CHECK_EQ(pthread_create(&before, NULL, waiter, NULL), 0); /* left behind */
    fflush(stdout);
    CHECK_EQ(daemon(1, 1), 0);
    /* the thread left behind may have held them at the fork: start afresh */
    pthread_mutex_init(&mu, NULL);
    pthread_cond_init(&cv, NULL);
    waiting = 0;
    printf("daemon: leads a session of its own: %s\n", getsid(0) == getpid() ? "yes" : "no");
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    static pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], &small, waiter, NULL), 0);
    pthread_mutex_lock(&mu);
    while (waiting < THREADS)
        pthread_cond_wait(&cv, &mu);
    int live = kernel_threads();
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    join_all(t, THREADS);
    if (under_mnrt()) {
        fprintf(stderr, "daemon: %d kernel threads with %d threads waiting\n", live, THREADS);
        CHECK(live <= mnrt_procs() + 8, "%d kernel threads for %d threads", live, THREADS);
    } else {
        CHECK(live > THREADS, "native: %d", live);
    }
    printf("daemon: %d threads waited at once and were joined\n", THREADS);
    return 0;
}
