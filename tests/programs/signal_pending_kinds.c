/* Pending signals of two kinds for one thread, as Linux keeps them: one
 * sent to the thread (pthread_kill, raise) and one sent to the process
 * are pending side by side, and a thread that unblocks the signal runs
 * its handler twice (Linux runs the thread's first; mnrt may run the
 * process's first while it is still pending in the kernel, so the order
 * is not printed: unit_park_protocol checks it where mnrt holds both).
 * And a signal a thread raises
 * while it blocks it stays that thread's: it runs there once unblocked,
 * never on another thread that ran on the same kernel thread meanwhile.
 *
 * Under mnrt a G's pending signal had one slot: the process's signal
 * routed to it overwrote the thread's (one handler run, with the
 * process's info), and a raise() while blocked stayed pending in the
 * kernel thread, where the next G with the signal unblocked took it. */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>

#define HELPERS 4
#define RAISES 50

static _Atomic int nlog;
static int log_code[16];
static pthread_t log_thread[16];

static void on_usr1(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    int n = atomic_fetch_add(&nlog, 1);
    if (n < 16) {
        log_code[n] = info->si_code;
        log_thread[n] = pthread_self();
    }
}

static _Atomic int ready, go;

/* Waits with SIGUSR1 blocked (inherited from main) until main has sent
 * both, then unblocks it. */
static void *both_kinds(void *arg)
{
    (void)arg;
    ready = 1;
    while (!go)
        usleep(1000);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL), 0);
    return NULL;
}

static _Atomic int raised_on_raiser, raised_elsewhere;
static pthread_t raiser;
static _Atomic int stop_helpers;

static void on_usr2(int sig)
{
    (void)sig;
    if (pthread_equal(pthread_self(), raiser))
        raised_on_raiser++;
    else
        raised_elsewhere++;
}

/* Threads with SIGUSR2 unblocked that keep taking turns on the kernel
 * threads. */
static void *helper(void *arg)
{
    (void)arg;
    while (!stop_helpers)
        usleep(100);
    return NULL;
}

static void *raise_blocked(void *arg)
{
    (void)arg;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    for (int i = 0; i < RAISES; i++) {
        CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr2, NULL), 0);
        CHECK_EQ(raise(SIGUSR2), 0);
        usleep(500); /* others run on this kernel thread meanwhile */
        CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &usr2, NULL), 0);
    }
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    sa.sa_handler = on_usr2;
    sa.sa_flags = 0;
    CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);

    /* 1: one of each kind pending, then unblocked */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, both_kinds, NULL), 0);
    WAIT_UNTIL(ready);
    /* (under mnrt sysmon then takes it from the kernel: nobody accepts it) */
    usleep(100 * 1000);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0); /* every thread blocks it: pending for the process */
    sigset_t pending;
    do
        CHECK_EQ(sigpending(&pending), 0);
    while (!sigismember(&pending, SIGUSR1));
    CHECK_EQ(pthread_kill(t, SIGUSR1), 0);
    go = 1;
    CHECK_EQ(pthread_join(t, NULL), 0);
    int n = atomic_load(&nlog), on_t = 0, kinds[3] = {0, 0, 0};
    for (int i = 0; i < n && i < 16; i++) {
        on_t += pthread_equal(log_thread[i], t);
        kinds[log_code[i] == SI_TKILL ? 0 : log_code[i] == SI_USER ? 1 : 2]++;
    }
    printf("handler runs after unblocking: %d, on that thread: %d; sent to the thread %d, "
           "to the process %d, other %d\n",
           n, on_t, kinds[0], kinds[1], kinds[2]);

    /* 2: raised while blocked, with other threads around */
    pthread_t helpers[HELPERS];
    for (int i = 0; i < HELPERS; i++)
        CHECK_EQ(pthread_create(&helpers[i], NULL, helper, NULL), 0);
    CHECK_EQ(pthread_create(&raiser, NULL, raise_blocked, NULL), 0);
    CHECK_EQ(pthread_join(raiser, NULL), 0);
    stop_helpers = 1;
    for (int i = 0; i < HELPERS; i++)
        CHECK_EQ(pthread_join(helpers[i], NULL), 0);
    printf("raised %d times while blocked: ran on the raiser %d times, elsewhere %d\n", RAISES,
           atomic_load(&raised_on_raiser), atomic_load(&raised_elsewhere));
    return 0;
}
