/* Signal handlers that leave by siglongjmp out of calls mnrt runs as
 * system calls: a waitpid for a child that does not end (the classic
 * timeout idiom: a timer, then a jump out of the blocked call), and a
 * raise, whose handler runs inside the call that sends it (core/signals.c
 * mn_sig_send_self). The jump skipped the end of mnrt's bracket around
 * the call: the thread counted as in a system call for good, so sysmon
 * handed its one P to another kernel thread while it computed (two
 * threads ran at once with MNRT_PROCS=1) and never preempted it (or,
 * after a raise, the other thread never ran). And out of close, a timer
 * every 500 us around a loop of stale closes: a jump out of close's
 * bracket against mnrt's own opens (core/lowfd.h) left it entered, and
 * sysmon waited for ever at its next look in /proc. And a jump that stays
 * inside a handler (a library's own error path there) took the handler
 * for left: its end then counted it at -1, never preemptible again. After
 * the jumps, with one
 * P, a second thread that never yields may run while main computes only
 * if main is preempted: under mnrt no P may have been handed on from a
 * system call meanwhile, and a preemption must have been counted. */
#include "check.h"

#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/time.h>
#include <sys/wait.h>

#define ROUNDS 3
#define CLOSE_JUMPS 200

static sigjmp_buf jump_to;

static void jump_out(int sig)
{
    siglongjmp(jump_to, sig);
}

/* A handler with an error path of its own: the jump stays inside it. */
static void jump_inside(int sig)
{
    (void)sig;
    jmp_buf inside;
    if (setjmp(inside) == 0)
        longjmp(inside, 1);
}

static atomic_long other_runs;
static atomic_bool stop;

static void *compute(void *arg)
{
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        atomic_fetch_add_explicit(&other_runs, 1, memory_order_relaxed);
    return arg;
}

int main(void)
{
    int gate;
    pid_t child = fork_gated_child(&gate);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jump_out;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    sa.sa_handler = jump_inside;
    CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);

    int jumps = 0;
    for (int i = 0; i < ROUNDS; i++) {
        if (sigsetjmp(jump_to, 1) == 0) {
            struct itimerval in_20ms = {{0, 0}, {0, 20 * 1000}};
            CHECK_EQ(setitimer(ITIMER_REAL, &in_20ms, NULL), 0);
            int status;
            waitpid(child, &status, 0);
            CHECK(0, "waitpid returned before the timer");
        }
        jumps++;
        if (sigsetjmp(jump_to, 1) == 0) {
            raise(SIGUSR1);
            CHECK(0, "raise returned before its handler ran");
        }
        jumps++;
    }
    struct itimerval every_500us = {{0, 500}, {0, 500}};
    CHECK_EQ(setitimer(ITIMER_REAL, &every_500us, NULL), 0);
    static volatile int close_jumps; /* (kept across the jumps) */
    for (close_jumps = 0; close_jumps < CLOSE_JUMPS; close_jumps++)
        if (sigsetjmp(jump_to, 1) == 0)
            for (;;)
                close(-1); /* EBADF, until the timer's handler jumps */
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    CHECK_EQ(raise(SIGUSR2), 0);
    printf("%d jumps out of waitpid and raise, %d out of close, one inside a handler\n", jumps,
           CLOSE_JUMPS);

    struct mnrt_stats before = mnrt_stats_now();
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, compute, NULL), 0);
    while (atomic_load_explicit(&other_runs, memory_order_relaxed) == 0)
        ; /* computes without a call: the other thread runs beside or between */
    struct mnrt_stats after = mnrt_stats_now();
    atomic_store(&stop, true);
    CHECK_EQ(pthread_join(t, NULL), 0);
    if (under_mnrt()) {
        CHECK(after.handoffs == before.handoffs,
              "main's P was handed on as if main were in a system call");
        CHECK(after.preemptions > before.preemptions,
              "with one P, another thread ran while main computed, unpreempted");
    }
    printf("the other thread ran while main computed\n");

    close(gate);
    reap_exited_0(child);
    return 0;
}
