/* A thread whose input is always there must let a waiting one run: the
 * server of a client that keeps pace finds each next request at once and
 * never parks. Thread B waits on a pipe; its byte is written before
 * thread A starts reading 10,000 bytes that are all in its socket already
 * (one recv each, blocking and MSG_DONTWAIT in turn). B must run while A
 * still reads. Under mnrt with one P, nothing else
 * looks for B's input while A runs: A's turn at input collects it and
 * yields (core/sched.c mn_input_turn); before that, A read everything
 * within one slice (10 ms) while B's input waited for sysmon. Under mnrt
 * only: natively B runs when the kernel gives it a CPU, which on a loaded
 * machine came after A's last byte (CI). */
#include "check.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#define BYTES 10000

static int pipe_fd[2], sock[2];
static atomic_bool b_ran;

static void *reader_b(void *arg)
{
    (void)arg;
    char c;
    CHECK_EQ(read(pipe_fd[0], &c, 1), 1);
    atomic_store(&b_ran, true);
    return NULL;
}

static void *reader_a(void *arg)
{
    int *seen_at = arg;
    *seen_at = -1;
    for (int i = 0; i < BYTES; i++) {
        char c;
        CHECK_EQ(recv(sock[0], &c, 1, i % 2 ? MSG_DONTWAIT : 0), 1);
        if (*seen_at < 0 && atomic_load(&b_ran))
            *seen_at = i;
    }
    return NULL;
}

int main(void)
{
    CHECK_EQ(pipe(pipe_fd), 0);
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sock), 0);
    int size = 4 * BYTES;
    CHECK_EQ(setsockopt(sock[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof size), 0);
    char fill[BYTES];
    memset(fill, 'a', sizeof fill);
    CHECK_EQ(write(sock[1], fill, sizeof fill), (ssize_t)sizeof fill);

    pthread_t a, b;
    CHECK_EQ(pthread_create(&b, NULL, reader_b, NULL), 0);
    usleep(50 * 1000); /* B waits in its read by now (if not, it finds its byte) */
    CHECK_EQ(write(pipe_fd[1], "b", 1), 1);
    int seen_at;
    CHECK_EQ(pthread_create(&a, NULL, reader_a, &seen_at), 0);
    CHECK_EQ(pthread_join(a, NULL), 0);
    CHECK_EQ(pthread_join(b, NULL), 0);
    CHECK(seen_at >= 0, "B ran only after A's %d bytes", BYTES);
    printf("B ran after A's first %d of %d bytes\n", seen_at, BYTES);
    return 0;
}
