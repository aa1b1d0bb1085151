/* In the child of fork, the parent's other threads are gone: a handle to
 * one finds no thread (pthread_kill: ESRCH), in the child and in the
 * child's own child, also after the child made threads of its own (which
 * under mnrt may take over the vanished threads' memory: core/g.c
 * reclaims it at the child's first look at a thread by handle, or its
 * first new thread). Natively the same. */
#include "check.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int stop;

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!stop)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

/* Checks, in a child, the handles of the threads that vanished. */
static void look(const char *who, pthread_t *gone, int n, bool make_first)
{
    if (make_first) { /* a thread of its own before the first look */
        pthread_t t;
        CHECK_ERR(pthread_create(&t, NULL, nothing, NULL), 0);
        CHECK_ERR(pthread_join(t, NULL), 0);
    }
    for (int i = 0; i < n; i++)
        CHECK_ERR(pthread_kill(gone[i], 0), ESRCH);
    printf("%s: %d vanished threads not found\n", who, n);
    fflush(stdout);
}

static void wait_child(pid_t pid)
{
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}

#define N 8

int main(void)
{
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        CHECK_ERR(pthread_create(&t[i], NULL, waiter, NULL), 0);
    for (int make_first = 0; make_first < 2; make_first++) {
        fflush(stdout);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork");
        if (pid == 0) {
            /* the grandchild forks before the child looked at anything */
            pid_t grand = fork();
            CHECK(grand >= 0, "fork");
            if (grand == 0) {
                look(make_first ? "grandchild, after a thread of its own" : "grandchild",
                     t, N, make_first);
                _exit(0);
            }
            wait_child(grand);
            look(make_first ? "child, after a thread of its own" : "child", t, N, make_first);
            _exit(0);
        }
        wait_child(pid);
    }
    pthread_mutex_lock(&mu);
    stop = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < N; i++)
        CHECK_ERR(pthread_join(t[i], NULL), 0);
    printf("parent: %d threads joined\n", N);
    return 0;
}
