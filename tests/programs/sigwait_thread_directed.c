/* sigwait, sigwaitinfo and sigtimedwait find a signal sent to the calling
 * thread (raise, pthread_kill, pthread_sigqueue) while it blocks it, and
 * one sent to the process, whether it was sent before the wait or during
 * it. Under mnrt a signal sent to a G is pending in the G, where the
 * kernel's sigwait did not look: the wait hung (Python's signal.sigwait
 * after raise_signal; stress-ng --pthread's sigtimedwait ran to its
 * timeout). */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>

static _Atomic int turn;          /* main sends when even, the worker takes when odd */
static int got_sig[4], got_code[4], got_value[4];

static void *worker(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    for (int i = 0; i < 4; i++) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (i == 0) {
            int sig;
            CHECK_EQ(sigwait(&set, &sig), 0);
            si.si_signo = sig;
            si.si_code = SI_TKILL;
        } else {
            CHECK(sigwaitinfo(&set, &si) > 0, "sigwaitinfo: %s", strerror(errno));
        }
        got_sig[i] = si.si_signo;
        got_code[i] = si.si_code;
        got_value[i] = si.si_code == SI_QUEUE ? si.si_value.sival_int : 0;
        turn++;
    }
    return NULL;
}

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0); /* inherited by the worker */

    /* to itself, before the wait */
    int sig = 0;
    CHECK_EQ(raise(SIGUSR1), 0);
    CHECK_EQ(sigwait(&set, &sig), 0);
    printf("raise then sigwait: %s\n", sig == SIGUSR1 ? "SIGUSR1" : "other");
    CHECK_EQ(pthread_kill(pthread_self(), SIGUSR2), 0);
    siginfo_t si;
    CHECK_EQ(sigwaitinfo(&set, &si), SIGUSR2);
    printf("pthread_kill to itself then sigwaitinfo: SIGUSR2\n");
    struct timespec ms10 = {0, 10 * 1000000};
    errno = 0;
    int r = sigtimedwait(&set, &si, &ms10);
    printf("sigtimedwait with nothing pending: %d, %s\n", r,
           errno == EAGAIN ? "EAGAIN" : strerror(errno));

    /* to another thread waiting in sigwait & co. (sent while it waits,
     * mostly: it waits before main sends) */
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, worker, NULL), 0);
    usleep(20 * 1000);
    CHECK_EQ(pthread_kill(t, SIGUSR1), 0);
    WAIT_UNTIL(turn == 1);
    usleep(20 * 1000);
    CHECK_EQ(pthread_sigqueue(t, SIGUSR2, (union sigval){.sival_int = 7}), 0);
    WAIT_UNTIL(turn == 2);
    usleep(20 * 1000);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0); /* the process's: only the worker waits */
    WAIT_UNTIL(turn == 3);
    CHECK_EQ(pthread_kill(t, SIGUSR2), 0); /* at once: maybe before its wait */
    WAIT_UNTIL(turn == 4);
    CHECK_EQ(pthread_join(t, NULL), 0);
    for (int i = 0; i < 4; i++)
        printf("worker's wait %d: %s, %s, value %d\n", i + 1,
               got_sig[i] == SIGUSR1 ? "SIGUSR1" : got_sig[i] == SIGUSR2 ? "SIGUSR2" : "other",
               got_code[i] == SI_QUEUE ? "queued" : "not queued", got_value[i]);
    return 0;
}
