/* A child that runs natively (the child of _Fork, or of a fork mnrt does
 * not see) has a copy of mnrt's fd table and shares the parent's
 * netpoller (the io_uring rings are shared mappings, the epoll instance
 * one file), but none of it is the child's: an fd the child makes must
 * not be told to that table. Here fd N had a pollfd with an armed poll in
 * the parent (a poll() that timed out); the child closes N and makes fds
 * with every call that makes one (socket, socketpair, pipe, pipe2, dup,
 * dup2's target, fcntl F_DUPFD, open, accept), the first of which gets N
 * again. Telling the copied table retired N's pollfd, which submitted a
 * cancel into the parent's io_uring submission ring: the parent's next
 * submission was lost, and a wait for I/O after the child hung.
 * Then the parent's threads wait for pipes many times, and must all wake. */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#define ROUNDS 200

static int ping[2], pong[2];

/* every fd-making call, in the child (which may make only
 * async-signal-safe calls: these are) */
static int child(int n)
{
    close(n);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s != n)
        return 2;
    int sv[2], p[2], q[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(p) != 0 ||
        pipe2(q, O_CLOEXEC) != 0)
        return 3;
    int d = dup(s), d2 = fcntl(s, F_DUPFD, 0), f = open("/dev/null", O_RDONLY);
    if (d < 0 || d2 < 0 || f < 0 || dup2(s, d) != d)
        return 4;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "mnrt-native-child-%d", getpid());
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
    int l = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(l, (struct sockaddr *)&a, len) != 0 || listen(l, 1) != 0 ||
        connect(c, (struct sockaddr *)&a, len) != 0 || accept(l, NULL, NULL) < 0)
        return 5;
    return 0;
}

static void *ponger(void *arg)
{
    char b;
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_EQ(read(ping[0], &b, 1), 1);
        CHECK_EQ(write(pong[1], &b, 1), 1);
    }
    return arg;
}

int main(void)
{
    int watched[2];
    CHECK_EQ(pipe(watched), 0);
    struct pollfd pfd = {.fd = watched[0], .events = POLLIN};
    CHECK_EQ(poll(&pfd, 1, 10), 0); /* nothing to read: its poll is armed */

    pid_t pid = _Fork();
    CHECK(pid >= 0, "_Fork: %s", strerror(errno));
    if (pid == 0)
        _exit(child(watched[0]));
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
    printf("the native child made its fds\n");

    CHECK_EQ(pipe(ping), 0);
    CHECK_EQ(pipe(pong), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, ponger, NULL), 0);
    char b = 'x';
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_EQ(write(ping[1], &b, 1), 1);
        CHECK_EQ(read(pong[0], &b, 1), 1);
    }
    CHECK_EQ(pthread_join(t, NULL), 0);
    printf("%d round trips after it\n", ROUNDS);
    return 0;
}
