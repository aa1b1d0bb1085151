/* fork from 8 threads, 40 times each, while 8 others allocate and take a
 * mutex: every child must run (allocate, free, make and join threads that
 * allocate: under mnrt the child is M:N again) and exit with its status.
 * Children of threads that ran on mnrt's extra kernel threads were seen
 * dying of SIGSEGV in glibc's fork handling (issue 10's report). */
#include "check.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>

static atomic_int good, bad;
static atomic_bool stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *allocator(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    while (!atomic_load(&stop)) {
        pthread_mutex_lock(&mu);
        char *p = malloc(1000 + rand_r(&seed) % 5000);
        memset(p, 1, 100);
        free(p);
        pthread_mutex_unlock(&mu);
        usleep(100);
    }
    return NULL;
}

static void *child_work(void *arg)
{
    static pthread_mutex_t child_mu = PTHREAD_MUTEX_INITIALIZER;
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&child_mu);
        free(malloc(100 + i * 37));
        pthread_mutex_unlock(&child_mu);
    }
    return arg;
}

static void *forker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 40; i++) {
        pid_t c = fork();
        if (c == 0) {
            free(malloc(100));
            pthread_t t[4];
            for (int k = 0; k < 4; k++)
                CHECK_EQ(pthread_create(&t[k], NULL, child_work, NULL), 0);
            for (int k = 0; k < 4; k++)
                CHECK_EQ(pthread_join(t[k], NULL), 0);
            _exit(3);
        }
        int st;
        CHECK_EQ(waitpid(c, &st, 0), c);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
            atomic_fetch_add(&good, 1);
        } else {
            atomic_fetch_add(&bad, 1);
            fprintf(stderr, "a child ended with status %#x\n", st);
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t a[8], f[8];
    for (int i = 0; i < 8; i++)
        CHECK_EQ(pthread_create(&a[i], NULL, allocator, (void *)(uintptr_t)i), 0);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(pthread_create(&f[i], NULL, forker, NULL), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(f[i], NULL);
    atomic_store(&stop, true);
    for (int i = 0; i < 8; i++)
        pthread_join(a[i], NULL);
    printf("children that exited as they should: %d, others: %d\n", atomic_load(&good),
           atomic_load(&bad));
    return 0;
}
