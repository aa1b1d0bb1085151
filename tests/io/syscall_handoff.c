/* A system call that blocks where mnrt cannot park (waitpid) must not hold
 * the only P (MNRT_PROCS=1): sysmon hands the P to another kernel thread
 * and the other thread runs meanwhile. The child exits only when the other
 * thread tells it to, and that thread does so once it sees the main
 * thread's kernel thread inside wait4 (/proc/self/task/TID/syscall): so the
 * waitpid returns only if the other thread ran while it blocked, and
 * without the handoff the run hangs (no timing in the test). Also checks
 * that the call's result is intact. */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t waiter_tid;
static int release_fd; /* a byte here lets the child exit */

/* Whether the kernel thread tid is blocked in wait4 right now. */
static int in_wait4(pid_t tid)
{
    char path[64], buf[64] = "";
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open %s", path);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 0 && atoi(buf) == SYS_wait4;
}

static void *releaser(void *arg)
{
    (void)arg;
    while (!in_wait4(waiter_tid))
        usleep(1000);
    CHECK_EQ(write(release_fd, "x", 1), 1);
    return NULL;
}

int main(void)
{
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    pid_t child = fork();
    if (child == 0) {
        char c;
        close(fds[1]);
        _exit(read(fds[0], &c, 1) == 1 ? 7 : 1);
    }
    close(fds[0]);
    release_fd = fds[1];
    waiter_tid = (pid_t)syscall(SYS_gettid); /* the fork keeps main on it */
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, releaser, NULL), 0);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK(WIFEXITED(status), "child status %#x", status);
    printf("waitpid: child exited %d after the other thread released it\n", WEXITSTATUS(status));
    return 0;
}
