/* stress-ng --sigpending's round, 20,000 times in one thread: block
 * SIGUSR1, kill the process with it, sigpending must show it; unblock,
 * its handler must have run by then, and sigpending must not show it.
 * Before the fix sysmon, whose mask follows the threads' late, could take
 * the signal just after the thread blocked it and pass it on while the
 * thread looked: 2-3% of rounds missed it, the handler ran after the
 * unblocking call returned, and some merged with the next round's.
 * usage: sigpending_after_kill [HOGS]: HOGS processes (each in a session
 * of its own, so a scheduling group of its own) spin meanwhile, so that
 * sysmon waits for a CPU. With 8 of them on 2 CPUs and one P, sysmon
 * took over 10 ms to follow, sigpending stopped waiting for it
 * (SETTLE_MAX_NS was 10 ms) and 2 of 8 runs missed signals; and the
 * kernel thread, descheduled, lost its P to sysmon, so that a signal the
 * unblocking call let in was turned away to sysmon's inbox, ran late and
 * merged with the next (shim/signal.c g_sigmask; 1 run in ~20). And
 * under randomized schedules beside spinning processes (2-6 runs of 15)
 * the signal landed on an M between Gs that still had the G's old mask
 * and was descheduled before its handler posted it: sigpending now waits
 * for such Ms to take a step (core/sched_internal.h). */
#include "check.h"

#include <signal.h>
#include <sys/prctl.h>

#define ROUNDS 20000

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static pid_t spin_beside(void)
{
    pid_t parent = getpid(), pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* it died before the prctl */
            _exit(0);
        setsid();
        for (volatile unsigned long n = 0;; n++)
            ;
    }
    return pid;
}

int main(int argc, char **argv)
{
    int hogs = argc > 1 ? atoi(argv[1]) : 0;
    pid_t hog[16];
    CHECK(hogs >= 0 && hogs <= 16, "usage: sigpending_after_kill [HOGS], at most 16");
    for (int i = 0; i < hogs; i++)
        hog[i] = spin_beside();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    sigset_t usr1, none, pending;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    int missing = 0, stale = 0, late = 0;
    for (int i = 0; i < ROUNDS; i++) {
        CHECK_EQ(sigprocmask(SIG_SETMASK, &usr1, NULL), 0);
        int before = handled;
        CHECK_EQ(kill(getpid(), SIGUSR1), 0);
        CHECK_EQ(sigpending(&pending), 0);
        missing += !sigismember(&pending, SIGUSR1);
        CHECK_EQ(sigprocmask(SIG_SETMASK, &none, NULL), 0);
        late += handled == before;
        CHECK_EQ(sigpending(&pending), 0);
        stale += sigismember(&pending, SIGUSR1);
    }
    for (int i = 0; i < hogs; i++) {
        kill(hog[i], SIGKILL);
        waitpid(hog[i], NULL, 0);
    }
    printf("%d rounds: %d handlers ran; not pending after kill %d, handler not run by unblock %d, "
           "pending after unblock %d\n",
           ROUNDS, (int)handled, missing, late, stale);
    return 0;
}
