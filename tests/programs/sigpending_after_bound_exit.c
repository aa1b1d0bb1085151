/* sigpending after threads bound to their kernel threads for good
 * exited: the kernel thread of each then runs no thread again, and one
 * of them (the main thread's, which must not end) sleeps for good. Under
 * mnrt sigpending waits for kernel threads between threads that may have
 * taken a signal only to pass it on (core/sched_internal.h
 * mn_await_signal_passers); those two kept their last thread's signal
 * mask, took no further step, and every sigpending waited its full
 * bound of 1 s (a review of 07493c7): 400 calls here took 400 s, past
 * the test's timeout. A kernel thread that could not be made did the
 * same (not tested: it needs an address-space limit).
 * usage: sigpending_after_bound_exit main|thread: main binds itself
 * (sched_setaffinity) and leaves by pthread_exit while a thread calls
 * sigpending; or threads bind themselves (PR_SET_PDEATHSIG) and exit,
 * then main calls sigpending. */
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>

#define CALLS 400

static void on_usr1(int sig)
{
    (void)sig;
}

/* CALLS sigpending with SIGUSR1 blocked and sent once: each shows it. */
static void sigpending_rounds(void)
{
    sigset_t usr1, pending;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    for (int i = 0; i < CALLS; i++) {
        CHECK_EQ(sigpending(&pending), 0);
        CHECK(sigismember(&pending, SIGUSR1), "SIGUSR1 not pending at call %d", i);
    }
    printf("%d sigpending calls\n", CALLS);
}

static void *pending_then_exit(void *arg)
{
    (void)arg;
    usleep(100000); /* main has left */
    sigpending_rounds();
    exit(0);
}

static void *bind_and_exit(void *arg)
{
    (void)arg;
    CHECK_EQ(prctl(PR_SET_PDEATHSIG, SIGTERM), 0);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2 && (!strcmp(argv[1], "main") || !strcmp(argv[1], "thread")),
          "usage: sigpending_after_bound_exit main|thread");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    pthread_t t;
    if (!strcmp(argv[1], "main")) {
        CHECK_EQ(pthread_create(&t, NULL, pending_then_exit, NULL), 0);
        cpu_set_t cpus;
        CHECK_EQ(sched_getaffinity(0, sizeof cpus, &cpus), 0);
        CHECK_EQ(sched_setaffinity(0, sizeof cpus, &cpus), 0);
        pthread_exit(NULL);
    }
    for (int i = 0; i < 8; i++) {
        CHECK_EQ(pthread_create(&t, NULL, bind_and_exit, NULL), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
    sigpending_rounds();
    return 0;
}
