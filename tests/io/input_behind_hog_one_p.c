/* Two threads hand a byte back and forth on a socket pair while a third
 * computes without ever entering mnrt, all on one P (MNRT_PROCS=1). Each
 * writer then waits for input at once, with only the computing thread
 * queued for the P; the byte it wrote has made its peer ready, but the
 * completion sits in the netpoller. The writer collects ready I/O as it
 * begins its wait, so the peer runs before the computing thread
 * (core/sched.c mn_input_turn). Before, nobody collected it until sysmon
 * did 10 ms later, and the peer then waited for the computing thread's
 * slice to end: ~25 ms a round trip, so 6,000 take longer than the
 * run's limit, and so does a half fix that collects every other hop
 * (the epoll backend's rate limit: ~12 ms a round trip, 75 s; the test
 * asks for io_uring). Natively the kernel runs the woken thread at once.
 * The computing thread must still get its share of the P: under mnrt it
 * has computed by the end of the round trips. (Natively, on a loaded
 * machine, the kernel may not have run it yet: there the program only
 * waits until it has.) */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROUND_TRIPS 6000

static atomic_bool stop;
static atomic_ulong rounds;
static int sv[2];
static volatile unsigned long sink;

static void *compute(void *arg)
{
    (void)arg;
    unsigned long x = 1;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int i = 0; i < 1000; i++)
            x = x * 6364136223846793005ul + 1442695040888963407ul;
        atomic_fetch_add_explicit(&rounds, 1, memory_order_relaxed);
    }
    sink = x; /* the loop stays */
    return NULL;
}

static void *echo(void *arg)
{
    (void)arg;
    char c;
    ssize_t n;
    while ((n = read(sv[1], &c, 1)) == 1)
        CHECK_EQ(write(sv[1], &c, 1), 1);
    CHECK_EQ(n, 0);
    return NULL;
}

int main(void)
{
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t e, h;
    CHECK_EQ(pthread_create(&e, NULL, echo, NULL), 0);
    CHECK_EQ(pthread_create(&h, NULL, compute, NULL), 0);
    for (int i = 0; i < ROUND_TRIPS; i++) {
        char c = (char)i, back;
        CHECK_EQ(write(sv[0], &c, 1), 1);
        CHECK_EQ(read(sv[0], &back, 1), 1);
        CHECK_EQ(back, c);
    }
    CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
    pthread_join(e, NULL);
    if (under_mnrt())
        CHECK(atomic_load(&rounds) > 0, "the computing thread never ran");
    while (atomic_load(&rounds) == 0)
        usleep(1000);
    atomic_store(&stop, true);
    pthread_join(h, NULL);
    printf("%d round trips beside a thread that computes\n", ROUND_TRIPS);
    return 0;
}
