/* Handlers that wake threads: an interval timer fires SIGALRM every 20 us
 * while threads wait; its handler posts a semaphore and signals a
 * condition variable. The waiters block SIGALRM, so the handler runs on
 * the main thread, blocked in pthread_join (pthread_cond_signal is not
 * async-signal-safe: a handler that interrupted a waiter inside
 * pthread_cond_wait could deadlock natively too). Each round ends when
 * every waiter was woken enough times. The process does no other I/O and
 * has no timers of mnrt's: the waiters' wake-ups come from the handler
 * alone. Under mnrt a readied waiter could stay queued with
 * every P idle (a hang), or the handler could deadlock on a lock of
 * mnrt's that the code it interrupted held (a hang). The failure mode is a
 * hang. usage: signal_wakes [ROUNDS] */
#include "check.h"

#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/time.h>

#define WAITERS 4
#define WAKES 20

static sem_t sem;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_int ticks;

static void on_alarm(int sig)
{
    (void)sig;
    atomic_fetch_add(&ticks, 1);
    sem_post(&sem);
    pthread_cond_signal(&cv);
}

static void block_alarm(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    block_alarm();
    for (int i = 0; i < WAKES; i++)
        while (sem_wait(&sem) != 0)
            CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
    return NULL;
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    block_alarm();
    pthread_mutex_lock(&mu);
    int seen = atomic_load(&ticks);
    for (int i = 0; i < WAKES; i++) { /* until the handler ran again */
        while (atomic_load(&ticks) == seen)
            pthread_cond_wait(&cv, &mu);
        seen = atomic_load(&ticks);
    }
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void timer(long us)
{
    struct itimerval it = {{0, us}, {0, us}};
    CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    for (int r = 0; r < rounds; r++) {
        CHECK_EQ(sem_init(&sem, 0, 0), 0);
        pthread_t t[2 * WAITERS];
        for (int i = 0; i < WAITERS; i++) {
            pthread_create(&t[2 * i], NULL, sem_waiter, NULL);
            pthread_create(&t[2 * i + 1], NULL, cond_waiter, NULL);
        }
        timer(20);
        for (int i = 0; i < 2 * WAITERS; i++)
            pthread_join(t[i], NULL);
        timer(0);
        sem_destroy(&sem);
    }
    printf("%d rounds: every waiter was woken %d times by the handler\n", rounds, WAKES);
    return 0;
}
