/* A global interpreter lock as CPython's (a flag under a mutex, waited
 * for on a condition variable), released around every system call: one
 * thread takes it back after each call it makes outside mnrt (getppid),
 * while an echo thread and the main thread hand bytes back and forth on
 * a socket pair and need the lock between their reads and writes. With
 * one P (MNRT_PROCS=1) the lock and the P change hands only if the
 * spinning thread ends its turn where it released the lock after waking
 * a thread, and collects the I/O that came for the others (core/sched.c
 * mn_release_turn). Before that each round trip waited for sysmon to
 * collect the I/O and end the spinner's slice, ~25 ms: 4,000 round trips
 * took longer than the run's limit. Natively the kernel's scheduler
 * runs a woken thread at once. Under mnrt the spinning thread has made
 * calls by the end of the round trips; natively, on a loaded machine, the
 * kernel may not have run it yet: there the program only waits until it
 * has. */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#define ROUND_TRIPS 4000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static bool held;
static atomic_bool stop;
static atomic_long calls;
static int sv[2];

static void take(void)
{
    pthread_mutex_lock(&mu);
    while (held)
        pthread_cond_wait(&freed, &mu);
    held = true;
    pthread_mutex_unlock(&mu);
}

static void drop(void)
{
    pthread_mutex_lock(&mu);
    held = false;
    pthread_cond_signal(&freed);
    pthread_mutex_unlock(&mu);
}

static void *spinner(void *arg)
{
    (void)arg;
    take();
    while (!atomic_load(&stop)) {
        drop();
        getppid(); /* a system call mnrt does not bracket */
        atomic_fetch_add(&calls, 1);
        take();
    }
    drop();
    return NULL;
}

static void *echo(void *arg)
{
    (void)arg;
    char c;
    take();
    for (;;) {
        drop();
        ssize_t n = read(sv[1], &c, 1);
        take();
        if (n <= 0)
            break;
        drop();
        CHECK_EQ(write(sv[1], &c, 1), 1);
        take();
    }
    drop();
    return NULL;
}

int main(void)
{
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t e, s;
    CHECK_EQ(pthread_create(&e, NULL, echo, NULL), 0);
    CHECK_EQ(pthread_create(&s, NULL, spinner, NULL), 0);
    take();
    for (int i = 0; i < ROUND_TRIPS; i++) {
        char c = (char)i, back;
        drop();
        CHECK_EQ(write(sv[0], &c, 1), 1);
        CHECK_EQ(read(sv[0], &back, 1), 1);
        take();
        CHECK_EQ(back, c);
    }
    if (under_mnrt())
        CHECK(atomic_load(&calls) > 0, "the spinning thread never ran");
    drop();
    while (atomic_load(&calls) == 0)
        usleep(1000);
    atomic_store(&stop, true);
    CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
    pthread_join(s, NULL);
    pthread_join(e, NULL);
    printf("%d round trips beside a thread that takes the lock back after each call\n",
           ROUND_TRIPS);
    return 0;
}
