/* A process made with clone() (no CLONE_VM), as container tools make one
 * with new namespaces, and one made with the raw clone system call: the
 * child has a copy of mnrt's state but none of its kernel threads. Its
 * code (allocating, printing, sleeping, making a thread and joining it)
 * runs natively there; it hung before, waiting for the parent's threads. */
#include "check.h"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void *sleeper(void *arg)
{
    usleep(1000);
    return arg;
}

static int child_main(void *arg)
{
    char *p = malloc(64);
    snprintf(p, 64, "%s child", (const char *)arg);
    usleep(1000);
    pthread_t t;
    void *r;
    CHECK_EQ(pthread_create(&t, NULL, sleeper, (void *)5), 0);
    CHECK_EQ(pthread_join(t, &r), 0);
    printf("%s: slept, made and joined a thread (%d)\n", p, (int)(intptr_t)r);
    fflush(stdout);
    free(p);
    return 3;
}

static void wait_for(pid_t pid, const char *how)
{
    CHECK(pid > 0, "%s: %s", how, strerror(errno));
    int st;
    CHECK_EQ(waitpid(pid, &st, 0), pid);
    printf("%s child exited with %d\n", how, WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

int main(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, sleeper, NULL), 0);
    size_t size = 1 << 20;
    char *stack = malloc(size);
    fflush(stdout);
    wait_for(clone(child_main, stack + size, SIGCHLD, "clone()"), "clone()");

    fflush(stdout);
    long pid = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, 0);
    if (pid == 0)
        _exit(child_main("raw clone"));
    wait_for((pid_t)pid, "raw clone");
    join_all(t, 4);
    free(stack);
    return 0;
}
