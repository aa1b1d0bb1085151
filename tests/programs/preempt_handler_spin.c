/* With 2 Ps: the main thread spins inside a signal handler (where mnrt
 * cannot preempt it) until a thread it created there has run; another
 * thread spins on the other P meanwhile, with nothing queued behind it.
 * The new thread waits in the main thread's queue. sysmon signals the
 * main thread in vain, then hands its queue to the global queue, where
 * the other P takes it once its spinner is preempted: before, that
 * spinner was never asked to yield (its own queue was empty) and the
 * process hung. Natively every thread has its own kernel thread. */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>

static atomic_int spinner_started, released;

static void *spinner(void *arg)
{
    (void)arg;
    atomic_store(&spinner_started, 1);
    while (!atomic_load(&released))
        ;
    return NULL;
}

static void *releaser(void *arg)
{
    (void)arg;
    atomic_store(&released, 1);
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, releaser, NULL), 0);
    CHECK_EQ(pthread_detach(t), 0);
    while (!atomic_load(&released))
        ;
}

int main(void)
{
    pthread_t s;
    CHECK_EQ(pthread_create(&s, NULL, spinner, NULL), 0);
    while (!atomic_load(&spinner_started)) /* it runs on the other P */
        ;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
    CHECK(raise(SIGUSR1) == 0, "raise");
    CHECK_EQ(pthread_join(s, NULL), 0);
    printf("the thread queued behind a handler that spins ran\n");
    return 0;
}
