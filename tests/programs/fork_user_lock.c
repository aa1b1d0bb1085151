/* A lock of the program's own, built of a mutex, a condition variable and
 * an owner field (as perl's threads::shared and Python's GIL are), taken
 * in a loop by two threads that compute between takes; main sleeps 1 ms
 * and forks, 100 times, and each child looks whether the lock is held.
 * Natively a child finds it held about never: a thread holds it for a few
 * instructions out of each loop, and the kernel's timer stops a thread
 * anywhere. Under mnrt, while a preempted thread yielded at its next
 * unlock or condition-variable signal (the ends of the lock's own
 * critical sections, runtime.h mn_check_preempt_at_release), a child
 * found the owner set in 96-100 of 100 forks at one P (a perl program
 * with threads::shared hung in its forked children at exit). The bound,
 * a quarter, is far from both. Left out of the randomized runs
 * (tools/test-randomized.sh): random yields at releases are what they
 * explore. */
#include "check.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>

#define FORKS 100

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static void *owner;
static atomic_bool stop;
static volatile long taken;

static void take(void *me)
{
    pthread_mutex_lock(&mu);
    while (owner)
        pthread_cond_wait(&freed, &mu);
    owner = me;
    pthread_mutex_unlock(&mu);
}

static void give_back(void)
{
    pthread_mutex_lock(&mu);
    owner = NULL;
    pthread_cond_signal(&freed);
    pthread_mutex_unlock(&mu);
}

static void *taker(void *arg)
{
    volatile double x = 0;
    while (!atomic_load(&stop)) {
        take(arg);
        taken++;
        give_back();
        for (int i = 0; i < 20000; i++)
            x += i * 0.5;
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    int ids[2];
    for (int i = 0; i < 2; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, taker, &ids[i]), 0);
    int held = 0;
    for (int i = 0; i < FORKS; i++) {
        usleep(1000);
        pid_t pid = fork();
        CHECK(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) /* reads only: the lock's holder is not in the child */
            _exit(owner != NULL || pthread_mutex_trylock(&mu) != 0);
        int st;
        CHECK_EQ(waitpid(pid, &st, 0), pid);
        CHECK(WIFEXITED(st), "child status %#x", st);
        held += WEXITSTATUS(st);
    }
    atomic_store(&stop, true);
    join_all(t, 2);
    fprintf(stderr, "%d of %d children found the lock held\n", held, FORKS);
    if (held <= FORKS / 4)
        printf("%d children: the lock was free in at least three quarters\n", FORKS);
    else
        printf("%d children: %d found the lock held\n", FORKS, held);
    return 0;
}
