/* A fork while a thread dump is under way: a thread's mnrt_dump blocks
 * writing into a full pipe when the main thread forks. The child's own
 * dump must not wait for the parent's, which never ends there (before,
 * the child inherited the "dump under way" flag and its mnrt_dump waited
 * for good). Run under mnrt only: mnrt_dump is mnrt's. */
#include "check.h"

#include <fcntl.h>
#include <sys/wait.h>

static int pipe_fds[2];

static void *dumper(void *arg)
{
    int (*dump)(int) = (int (*)(int))arg;
    dump(pipe_fds[1]); /* blocks: the pipe is full until main reads it */
    return NULL;
}

static void *drain(void *arg)
{
    (void)arg;
    char buf[4096];
    while (read(pipe_fds[0], buf, sizeof buf) > 0)
        ;
    return NULL;
}

int main(void)
{
    int (*dump)(int) = (int (*)(int))dlsym(RTLD_DEFAULT, "mnrt_dump");
    CHECK(dump != NULL, "not under mnrt");
    CHECK(pipe(pipe_fds) == 0, "pipe");
    CHECK(fcntl(pipe_fds[1], F_SETPIPE_SZ, 4096) >= 0, "F_SETPIPE_SZ");
    char fill[4096];
    memset(fill, 'x', sizeof fill);
    CHECK(write(pipe_fds[1], fill, sizeof fill) == (ssize_t)sizeof fill, "fill");
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, dumper, (void *)dump), 0);
    /* the dump is under way once its kernel thread sleeps writing */
    usleep(300 * 1000);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        _exit(fd >= 0 && dump(fd) == 0 ? 0 : 1);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
    pthread_t r;
    CHECK_EQ(pthread_create(&r, NULL, drain, NULL), 0); /* lets the parent's dump end */
    CHECK_EQ(pthread_join(t, NULL), 0);
    close(pipe_fds[1]);
    CHECK_EQ(pthread_join(r, NULL), 0);
    printf("the child of a fork made during a dump dumps too\n");
    return 0;
}
