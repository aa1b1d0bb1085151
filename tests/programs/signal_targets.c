/* Which thread a signal reaches, as natively:
 * - a process-directed signal that every thread but one blocks reaches
 *   that one (2,000 of 2,000), while it is parked in sem_wait;
 * - pthread_kill reaches the thread it names: 1,000 parked threads each
 *   run the handler themselves (a thread-local flag);
 * - sigwait in a dedicated thread takes signals every thread blocks;
 * - raise() runs the handler on the caller before it returns;
 * - abort() in a thread runs its SIGABRT handler there, then the process
 *   dies of SIGABRT (mode "abort").
 * Under mnrt pthread_kill went to the process, and a process-directed
 * signal could run its handler on a kernel thread that runs no program
 * thread. usage: signal_targets [abort] */
#include "check.h"

#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#define THREADS 8
#define SENDS 2000
#define PARKED 1000

static sem_t ack, gate;
static pthread_t chosen;
static atomic_int on_chosen, elsewhere, handled;
static __thread volatile bool got_it;

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(how, &s, NULL);
}

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(pthread_equal(pthread_self(), chosen) ? &on_chosen : &elsewhere, 1);
    sem_post(&ack);
}

static void on_usr2(int sig)
{
    (void)sig;
    got_it = true;
    atomic_fetch_add(&handled, 1);
}

static void handle(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    CHECK_EQ(sigaction(sig, &sa, NULL), 0);
}

static void wait_gate(void)
{
    while (sem_wait(&gate) != 0)
        CHECK(errno == EINTR, "sem_wait: %s", strerror(errno));
}

static void *parked_blocking_usr1(void *arg)
{
    if (arg) { /* the chosen one */
        block(SIGUSR1, SIG_UNBLOCK);
        sem_post(&ack); /* it accepts SIGUSR1 from now on */
    }
    wait_gate();
    return NULL;
}

static void only_one_accepts(void)
{
    handle(SIGUSR1, on_usr1);
    block(SIGUSR1, SIG_BLOCK); /* inherited by every thread */
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, parked_blocking_usr1, i == THREADS / 2 ? &chosen : NULL);
    chosen = t[THREADS / 2];
    while (sem_wait(&ack) != 0)
        ;
    for (int i = 0; i < SENDS; i++) {
        CHECK_EQ(kill(getpid(), SIGUSR1), 0);
        while (sem_wait(&ack) != 0)
            ;
    }
    for (int i = 0; i < THREADS; i++)
        sem_post(&gate);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("process signal blocked by all threads but one: %d of %d reached it, %d others\n",
           atomic_load(&on_chosen), SENDS, atomic_load(&elsewhere));
}

static void *parked_until_gate(void *arg)
{
    (void)arg;
    wait_gate();
    return (void *)(intptr_t)got_it;
}

static void pthread_kill_each(void)
{
    handle(SIGUSR2, on_usr2);
    static pthread_t t[PARKED];
    for (int i = 0; i < PARKED; i++)
        pthread_create(&t[i], NULL, parked_until_gate, NULL);
    for (int i = 0; i < PARKED; i++)
        CHECK_EQ(pthread_kill(t[i], SIGUSR2), 0);
    while (atomic_load(&handled) < PARKED)
        usleep(1000);
    for (int i = 0; i < PARKED; i++)
        sem_post(&gate);
    int own = 0;
    for (int i = 0; i < PARKED; i++) {
        void *r;
        pthread_join(t[i], &r);
        own += r != NULL;
    }
    printf("pthread_kill to %d parked threads: %d ran the handler themselves\n", PARKED, own);
}

static atomic_int waited;

static void *sigwaiter(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    for (int i = 0; i < 100; i++) {
        int sig = 0;
        CHECK_EQ(sigwait(&s, &sig), 0);
        CHECK_EQ(sig, SIGUSR1);
        atomic_fetch_add(&waited, 1);
        sem_post(&ack);
    }
    return NULL;
}

static void sigwait_thread(void)
{
    /* SIGUSR1 is still blocked in every thread (only_one_accepts) */
    pthread_t t;
    pthread_create(&t, NULL, sigwaiter, NULL);
    for (int i = 0; i < 100; i++) {
        CHECK_EQ(kill(getpid(), SIGUSR1), 0);
        while (sem_wait(&ack) != 0)
            ;
    }
    pthread_join(t, NULL);
    printf("sigwait in a dedicated thread: %d of 100\n", atomic_load(&waited));
}

static void *raiser(void *arg)
{
    (void)arg;
    int ran = 0;
    for (int i = 0; i < 100; i++) {
        got_it = false;
        raise(SIGUSR2);
        ran += got_it;
        sched_yield();
    }
    return (void *)(intptr_t)ran;
}

static void raise_in_threads(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, raiser, NULL);
    int ran = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        ran += (int)(intptr_t)r;
    }
    printf("raise in 4 threads: the handler ran on the caller before raise returned %d of "
           "400 times\n", ran);
}

static pthread_t aborter;

static void on_abrt(int sig)
{
    (void)sig;
    printf("SIGABRT handler ran on the thread that called abort: %s\n",
           pthread_equal(pthread_self(), aborter) ? "yes" : "no");
    fflush(stdout);
}

static void *call_abort(void *arg)
{
    (void)arg;
    wait_gate(); /* until `aborter` is set */
    abort();
}

int main(int argc, char **argv)
{
    sem_init(&ack, 0, 0);
    sem_init(&gate, 0, 0);
    if (argc > 1 && !strcmp(argv[1], "abort")) {
        handle(SIGABRT, on_abrt);
        pthread_create(&aborter, NULL, call_abort, NULL);
        sem_post(&gate);
        pthread_join(aborter, NULL);
        return 0;
    }
    only_one_accepts();
    pthread_kill_each();
    sigwait_thread();
    raise_in_threads();
    return 0;
}
