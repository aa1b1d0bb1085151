/* A system call that blocks where mnrt cannot park (waitpid for a child
 * that takes 200 ms) must not hold the only P (MNRT_PROCS=1): sysmon
 * hands the P to another kernel thread and the other thread keeps
 * counting meanwhile. Also checks that the call's result is intact. */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int ticks;
static atomic_bool done;

static void *counter(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        atomic_fetch_add(&ticks, 1);
        usleep(1000);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, counter, NULL), 0);
    usleep(10 * 1000);
    pid_t child = fork();
    if (child == 0) {
        usleep(200 * 1000);
        _exit(7);
    }
    int before = atomic_load(&ticks), status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    int during = atomic_load(&ticks) - before;
    atomic_store(&done, true);
    pthread_join(t, NULL);
    fprintf(stderr, "ticks during waitpid: %d\n", during);
    CHECK(during > 0, "the other thread did not run while waitpid blocked");
    printf("waitpid: child exited %d; the other thread ran meanwhile\n", WEXITSTATUS(status));
    return 0;
}
