/* The child of a fork keeps M:N threads. A thread forks while 1,000
 * others of the parent wait on a condition variable; in the child, the
 * forking thread is the only one: it creates 10,000 threads that all wait
 * at once on a condition variable (under mnrt on at most procs + 8 kernel
 * threads, checked in the child), passes a token around a ring of threads
 * over pipes (the child's own netpoller), sleeps on timers, and joins them
 * all; then ends the process with pthread_exit, its only thread's. The
 * parent's threads never run in the child; the parent goes on with all of
 * them. Across the fork, sockets wake the right side: a parent's thread
 * blocked in read since before the fork wakes for the child's write (the
 * parent's netpoller goes on), and a child's thread blocked in read wakes
 * for the parent's answer (the child's own). */
#include "check.h"

#include <sys/socket.h>
#include <sys/wait.h>

#define PARENT_THREADS 1000
#define CHILD_THREADS 10000
#define RING 16
#define LAPS 200

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting, go;
static pthread_attr_t small;

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

static void wait_count(int n)
{
    pthread_mutex_lock(&mu);
    while (waiting < n)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void release_all(void)
{
    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static int ring_fds[RING][2];
static int to_parent[2], to_child[2]; /* socket pairs made before the fork */

static void *child_listener(void *unused)
{
    (void)unused;
    char c = 0;
    CHECK_EQ(read(to_child[0], &c, 1), 1);
    return (void *)(intptr_t)c;
}

static void *parent_listener(void *unused)
{
    (void)unused;
    char c = 0;
    CHECK_EQ(read(to_parent[0], &c, 1), 1);
    CHECK_EQ(write(to_child[1], "p", 1), 1);
    return (void *)(intptr_t)c;
}

static void *ring_member(void *arg)
{
    int i = (int)(intptr_t)arg;
    for (int lap = 0; lap < LAPS; lap++) {
        int token;
        CHECK_EQ(read(ring_fds[i][0], &token, sizeof token), (ssize_t)sizeof token);
        if (i % 4 == 0)
            usleep(100);
        token++;
        CHECK_EQ(write(ring_fds[(i + 1) % RING][1], &token, sizeof token), (ssize_t)sizeof token);
    }
    return NULL;
}

/* The child's work, on the thread that forked. */
static void child(void)
{
    /* the parent's condvar may hold its waiters' state: start afresh */
    pthread_mutex_init(&mu, NULL);
    pthread_cond_init(&cv, NULL);
    waiting = go = 0;
    if (under_mnrt()) {
        int n = kernel_threads();
        CHECK(n <= mnrt_procs() + 8, "%d kernel threads right after fork", n);
    }
    static pthread_t t[CHILD_THREADS];
    for (int i = 0; i < CHILD_THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], &small, waiter, NULL), 0);
    wait_count(CHILD_THREADS);
    int live = kernel_threads();
    release_all();
    for (int i = 0; i < CHILD_THREADS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    if (under_mnrt()) {
        fprintf(stderr, "child: %d kernel threads with %d threads waiting\n", live,
                CHILD_THREADS);
        CHECK(live <= mnrt_procs() + 8, "%d kernel threads for %d threads", live,
              CHILD_THREADS);
    } else {
        CHECK(live > CHILD_THREADS, "native: %d", live);
    }
    printf("child: %d threads waited at once and were joined\n", CHILD_THREADS);

    for (int i = 0; i < RING; i++)
        CHECK_EQ(pipe(ring_fds[i]), 0);
    pthread_t r[RING];
    for (int i = 0; i < RING; i++)
        CHECK_EQ(pthread_create(&r[i], &small, ring_member, (void *)(intptr_t)i), 0);
    int token = 0;
    CHECK_EQ(write(ring_fds[0][1], &token, sizeof token), (ssize_t)sizeof token);
    join_all(r, RING);
    CHECK_EQ(read(ring_fds[0][0], &token, sizeof token), (ssize_t)sizeof token);
    printf("child: the token went %d times around a ring of %d threads: %d\n", LAPS, RING,
           token);

    pthread_t l;
    CHECK_EQ(pthread_create(&l, &small, child_listener, NULL), 0);
    usleep(10 * 1000); /* let it block (it reads the answer either way) */
    CHECK_EQ(write(to_parent[1], "c", 1), 1);
    void *heard;
    CHECK_EQ(pthread_join(l, &heard), 0);
    printf("child: a thread blocked in read heard the parent: %c\n", (char)(intptr_t)heard);
    fflush(stdout);
    pthread_exit(NULL); /* the only thread: the process exits with status 0 */
}

static void *forker(void *arg)
{
    (void)arg;
    fflush(stdout);
    int status = status_of_child(child);
    printf("parent: the child exited with status %d\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
    return NULL;
}

int main(void)
{
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    static pthread_t t[PARENT_THREADS];
    for (int i = 0; i < PARENT_THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], &small, waiter, NULL), 0);
    wait_count(PARENT_THREADS);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, to_parent), 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, to_child), 0);
    pthread_t l, f;
    CHECK_EQ(pthread_create(&l, &small, parent_listener, NULL), 0);
    usleep(10 * 1000); /* let it block: its wake-up comes from the child */
    CHECK_EQ(pthread_create(&f, NULL, forker, NULL), 0);
    CHECK_EQ(pthread_join(f, NULL), 0);
    void *heard;
    CHECK_EQ(pthread_join(l, &heard), 0);
    printf("parent: a thread blocked in read since before the fork heard the child: %c\n",
           (char)(intptr_t)heard);
    release_all();
    join_all(t, PARENT_THREADS);
    printf("parent: %d threads went on and were joined\n", PARENT_THREADS);
    return 0;
}
