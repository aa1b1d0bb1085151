/* Every fd number the program can have is the program's, as natively: a
 * program that puts a file on each of the numbers 900 to 1,023 with dup2
 * (under mnrt its own fds sit there, docs/design.md §9), closes every fd
 * from 3 up (the daemon's loop), then does the same with dup3 on the
 * numbers 3 to 899 (where the first round moved mnrt's fds), goes on
 * with its threads waiting on pipes:
 * - a thread that waited on a pipe before, so that the netpoller was set
 *   up (its ring or epoll instance and eventfd), reads the bytes sent
 *   after each round;
 * - a thread blocked in a read of a pipe whose fd the program closed
 *   still gets its byte at the end: natively the blocked read keeps the
 *   file; under mnrt the thread waits on a hidden duplicate of it, which
 *   is one of those numbers too, then wherever it had to move.
 * Each dup2 and dup3 must return the number asked. Once, the thread that
 * waited before hung: the dup2 had replaced the ring's fd. First, the
 * same dup2s in a child forked while a thread of the parent waited and
 * another computed (the poller's sleeper was in a call on the ring at the
 * fork): the child's dup2 once waited for that call, which the child has
 * not, for good. */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define HIGH 1024 /* Debian's default soft limit */
#define ROUNDS 2
static const int round_from[ROUNDS] = {900, 3}, round_to[ROUNDS] = {HIGH, 900};

static int waited_before[2], closed_under[2];

static void *read_each_round(void *arg)
{
    (void)arg;
    for (int i = 0; i <= ROUNDS; i++) {
        char c;
        CHECK_EQ(read(waited_before[0], &c, 1), 1);
    }
    return NULL;
}

static void *read_once(void *arg)
{
    char c;
    *(ssize_t *)arg = read(closed_under[0], &c, 1);
    return NULL;
}

static bool the_tests(int fd, int devnull)
{
    return fd == waited_before[0] || fd == waited_before[1] || fd == closed_under[1] ||
           fd == devnull;
}

static void *read_two(void *arg)
{
    int fd = *(int *)arg;
    char c;
    for (int i = 0; i < 2; i++)
        CHECK_EQ(read(fd, &c, 1), 1);
    return NULL;
}

static void dup2_in_forked_child(void)
{
    int parent_pipe[2];
    CHECK_EQ(pipe(parent_pipe), 0);
    pthread_t parent_reader;
    CHECK_EQ(pthread_create(&parent_reader, NULL, read_two, &parent_pipe[0]), 0);
    usleep(50000);
    CHECK_EQ(write(parent_pipe[1], "x", 1), 1);
    /* It waits again, and this thread computes meanwhile: the kernel
     * thread left idle sleeps in the poller, in a call on its fd. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) < 100000000L);
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        int child_pipe[2];
        CHECK_EQ(pipe(child_pipe), 0);
        pthread_t reader;
        CHECK_EQ(pthread_create(&reader, NULL, read_two, &child_pipe[0]), 0);
        usleep(50000);
        CHECK_EQ(write(child_pipe[1], "a", 1), 1); /* its poller is the child's own now */
        int devnull = open("/dev/null", O_RDWR);
        CHECK(devnull >= 0, "open: %s", strerror(errno));
        int asked = 0, got = 0;
        for (int fd = 900; fd < HIGH; fd++) {
            if (fd == child_pipe[0] || fd == child_pipe[1] || fd == devnull)
                continue;
            asked++;
            got += dup2(devnull, fd) == fd;
        }
        CHECK_EQ(write(child_pipe[1], "b", 1), 1);
        CHECK_EQ(pthread_join(reader, NULL), 0);
        _exit(got == asked ? 0 : 3);
    }
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    CHECK_EQ(write(parent_pipe[1], "y", 1), 1);
    CHECK_EQ(pthread_join(parent_reader, NULL), 0);
    printf("a child forked while a thread waited: dup2 onto fds 900 to %d, its thread read on\n",
           HIGH - 1);
}

int main(void)
{
    struct rlimit files;
    CHECK_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
    CHECK(files.rlim_max >= HIGH, "hard fd limit %llu", (unsigned long long)files.rlim_max);
    files.rlim_cur = HIGH;
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
    dup2_in_forked_child();

    CHECK_EQ(pipe(waited_before), 0);
    CHECK_EQ(pipe(closed_under), 0);
    pthread_t reader, blocked;
    ssize_t blocked_got = -2;
    CHECK_EQ(pthread_create(&reader, NULL, read_each_round, NULL), 0);
    CHECK_EQ(pthread_create(&blocked, NULL, read_once, &blocked_got), 0);
    usleep(50000); /* both wait now */
    CHECK_EQ(write(waited_before[1], "x", 1), 1);
    CHECK_EQ(close(closed_under[0]), 0); /* the blocked read keeps the file */

    int devnull = open("/dev/null", O_RDWR);
    CHECK(devnull >= 0, "open: %s", strerror(errno));
    for (int round = 0; round < ROUNDS; round++) {
        int asked = 0, got = 0;
        for (int fd = round_from[round]; fd < round_to[round]; fd++) {
            if (the_tests(fd, devnull))
                continue;
            asked++;
            int r = round == 0 ? dup2(devnull, fd) : dup3(devnull, fd, O_CLOEXEC);
            got += r == fd;
        }
        printf("%s onto fds %d to %d: %d of %d gave the fd asked\n", round ? "dup3" : "dup2",
               round_from[round], round_to[round] - 1, got, asked);
        for (int fd = 3; fd < HIGH; fd++)
            if (!the_tests(fd, devnull))
                close(fd);
        usleep(10000);
        CHECK_EQ(write(waited_before[1], "x", 1), 1);
    }
    CHECK_EQ(pthread_join(reader, NULL), 0);
    printf("the thread that waited before read a byte after each round\n");

    CHECK_EQ(write(closed_under[1], "y", 1), 1);
    CHECK_EQ(pthread_join(blocked, NULL), 0);
    printf("the read blocked on the closed fd returned %zd\n", blocked_got);
    return 0;
}
