/* A signal whose action is to be ignored, sent to a thread that does not
 * block it, is discarded at once, as Linux does (pthread_sigqueue,
 * pthread_kill): the thread's waits go on. Under mnrt it stayed pending in
 * the thread for good (the kernel dropped mnrt's re-send of it), so every
 * wait of that thread ended at once and a mutex waiter spun forever
 * (stress-ng --pthread hung so). SIGUSR1 is SIG_IGN; SIGCHLD and SIGWINCH
 * are ignored by default. A blocked one stays pending until unblocked,
 * then is discarded. */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static _Atomic int sent, waits_done;

static void *receiver(void *arg)
{
    int sig = (int)(intptr_t)arg;
    WAIT_UNTIL(sent);
    /* a wait that must sleep until its deadline: a pending signal ends it
     * at once, again and again (spurious wakeups are allowed, but few) */
    pthread_mutex_lock(&mu);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_nsec -= 1000000000;
        ts.tv_sec++;
    }
    int early = 0;
    while (pthread_cond_timedwait(&cv, &mu, &ts) != ETIMEDOUT && early < 1000)
        early++;
    pthread_mutex_unlock(&mu);
    sigset_t pending;
    CHECK_EQ(sigpending(&pending), 0);
    if (early < 1000 && !sigismember(&pending, sig))
        waits_done++;
    else
        fprintf(stderr, "signal %d: %d early wakeups, pending after: %d\n", sig, early,
                sigismember(&pending, sig));
    return NULL;
}

static void run(int sig, int how)
{
    sent = 0;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, receiver, (void *)(intptr_t)sig), 0);
    if (how == 0)
        CHECK_EQ(pthread_kill(t, sig), 0);
    else
        CHECK_EQ(pthread_sigqueue(t, sig, (union sigval){.sival_int = 1}), 0);
    sent = 1;
    CHECK_EQ(pthread_join(t, NULL), 0);
}

int main(void)
{
    signal(SIGUSR1, SIG_IGN);
    int sigs[] = {SIGUSR1, SIGCHLD, SIGWINCH};
    for (int s = 0; s < 3; s++)
        for (int how = 0; how < 2; how++)
            for (int r = 0; r < 5; r++)
                run(sigs[s], how);
    printf("threads sent an ignored signal whose waits then slept: %d of 30\n",
           atomic_load(&waits_done));
    return 0;
}
