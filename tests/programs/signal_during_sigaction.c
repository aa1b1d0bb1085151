/* A signal that arrives while a thread is inside sigaction() runs as soon
 * as the call returns. Under mnrt one that came while the thread held
 * mnrt's action lock waited in the thread until its next wait or yield,
 * so a thread that kept changing handlers (stress-ng --signal's loop)
 * never ran it, and the next one of its number merged with it: half of a
 * 100 Hz SIGALRM stream was lost, and stress-ng's own timeout alarm never
 * landed. Here a second thread sends 200 SIGALRMs to the process, one at
 * a time, each once the previous one ran, while the main thread (the only
 * one that accepts SIGALRM) calls sigaction in a loop. */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>

#define SIGNALS 200

static _Atomic int handled, sender_done, stuck;

static void on_alrm(int sig)
{
    (void)sig;
    handled++;
}

static void on_usr2(int sig)
{
    (void)sig;
}

static void *sender(void *arg)
{
    (void)arg;
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &alrm, NULL), 0);
    for (int i = 1; i <= SIGNALS; i++) {
        CHECK_EQ(kill(getpid(), SIGALRM), 0);
        /* a bound against a hang, not a measure: natively it runs at once */
        int polls = 0;
        while (handled < i && polls++ < 50000)
            usleep(100);
        if (handled < i) {
            stuck++;
            break;
        }
    }
    sender_done = 1;
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alrm;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, sender, NULL), 0);
    sa.sa_handler = on_usr2;
    while (!sender_done)
        CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    printf("SIGALRMs that ran while the main thread called sigaction: %d of %d, stuck: %d\n",
           atomic_load(&handled), SIGNALS, atomic_load(&stuck));
    return 0;
}
