/* A handler on the thread's alternate signal stack (SA_ONSTACK, the
 * program's sigaltstack) that sleeps, while another process floods this
 * one with a second SA_ONSTACK signal. Under mnrt the G sleeping in the
 * handler leaves its frames on its M's alternate stack and the M's g0
 * runs meanwhile; g0 is not on that stack, so the kernel delivered a
 * signal that g0 took at the top of it, over the handler's frames, and
 * the handler's return resumed garbage: SIGSEGV or an abort in 10 of 10
 * runs (the same mechanism as a rare crash of signal_wakes, where the
 * preemption signal was the second one). The flood is SIGUSR2, or
 * SIGSEGV sent by kill, which the first fix left unblocked there ("G 1
 * switched away without a request", 3 of 3 runs; a review).
 * usage: onstack_handler_sleeps [usr2|segv [ROUNDS]] */
#include "check.h"

#include <signal.h>
#include <sys/prctl.h>

static volatile sig_atomic_t flooded;

static void on_flood(int sig)
{
    (void)sig;
    flooded = 1;
}

static void on_usr1(int sig)
{
    (void)sig;
    for (int i = 0; i < 3; i++)
        usleep(50); /* parks the G, its frames on the alternate stack */
}

int main(int argc, char **argv)
{
    int flood_sig = argc > 1 && strcmp(argv[1], "segv") == 0 ? SIGSEGV : SIGUSR2;
    int rounds = argc > 2 ? atoi(argv[2]) : 2000;
    CHECK(rounds > 0, "usage: onstack_handler_sleeps [usr2|segv [ROUNDS]]");
    give_thread_altstack();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_ONSTACK;
    sa.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    sa.sa_handler = on_flood;
    CHECK_EQ(sigaction(flood_sig, &sa, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, compute_in_bursts, NULL), 0);
    pid_t parent = getpid(), flood = fork();
    CHECK(flood >= 0, "fork: %s", strerror(errno));
    if (flood == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        while (kill(parent, flood_sig) == 0)
            usleep(5);
        _exit(0);
    }
    for (int i = 0; i < rounds; i++)
        CHECK_EQ(raise(SIGUSR1), 0);
    kill(flood, SIGKILL);
    waitpid(flood, NULL, 0);
    printf("%d handlers on the alternate stack slept; flooded: %s\n", rounds,
           flooded ? "yes" : "no");
    return 0;
}
