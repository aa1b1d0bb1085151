/* Real-time signals queue: a thread that blocks SIGRTMIN and SIGRTMIN+1
 * is sent five SIGRTMIN, each with its own value, and one SIGRTMIN+1 with
 * pthread_sigqueue; when it unblocks them, its handler runs six times,
 * each number's in the order sent, each with its value, as natively. Under mnrt a G kept one pending signal per number
 * (the handler ran twice, with the last value). */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

static int got_sig[16], got_val[16];
static atomic_int ngot;
static atomic_bool blocked, sent;

static void on_rt(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int i = atomic_fetch_add(&ngot, 1);
    if (i < 16) {
        got_sig[i] = sig - SIGRTMIN;
        got_val[i] = si->si_value.sival_int;
    }
}

static void *receiver(void *arg)
{
    (void)arg;
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    sigaddset(&rt, SIGRTMIN + 1);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &rt, NULL), 0);
    atomic_store(&blocked, true);
    while (!atomic_load(&sent))
        usleep(1000);
    CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &rt, NULL), 0);
    return NULL;
}

int main(void)
{
    struct sigaction sa = {.sa_sigaction = on_rt, .sa_flags = SA_SIGINFO};
    CHECK_EQ(sigaction(SIGRTMIN, &sa, NULL), 0);
    CHECK_EQ(sigaction(SIGRTMIN + 1, &sa, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, receiver, NULL), 0);
    while (!atomic_load(&blocked))
        usleep(1000);
    CHECK_EQ(pthread_sigqueue(t, SIGRTMIN + 1, (union sigval){.sival_int = 100}), 0);
    for (int v = 1; v <= 5; v++)
        CHECK_EQ(pthread_sigqueue(t, SIGRTMIN, (union sigval){.sival_int = v}), 0);
    atomic_store(&sent, true);
    CHECK_EQ(pthread_join(t, NULL), 0);
    int n = atomic_load(&ngot);
    printf("handler ran %d times\n", n);
    for (int s = 0; s <= 1; s++) { /* per number: which of them runs first is
                                    * how the kernel nests the two frames */
        printf("SIGRTMIN+%d:", s);
        for (int i = 0; i < n && i < 16; i++)
            if (got_sig[i] == s)
                printf(" %d", got_val[i]);
        printf("\n");
    }
    return 0;
}
