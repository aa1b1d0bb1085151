/* Threads that mnrt did not create call the interposed names too
 * (docs/design.md §2): glibc's timer_create(SIGEV_THREAD) runs each expiry on a
 * thread glibc makes internally. Here those foreign threads lock a mutex
 * that many Gs contend for (and hold it while Gs wait), post a semaphore
 * and broadcast a condvar that a G waits on, and finally wait themselves
 * on a semaphore and a condvar that a G signals. Counts must come out
 * exact, nobody may hang, and while every G waits for the next expiry
 * mnrt must not take the program for deadlocked: the wake-up comes from
 * a kernel timer and a foreign thread. */
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>

#define GS 16
#define ROUNDS 5000
#define TICKS 200
#define TICK_NS (300 * 1000)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tick_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ack_cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int ticks, acked;
static sem_t tick_sem, reply_sem, done_sem;
static timer_t timer;

static void arm(void)
{
    struct itimerspec its = {{0, 0}, {0, TICK_NS}};
    CHECK_EQ(timer_settime(timer, 0, &its, NULL), 0);
}

/* Runs on a thread made by glibc for each expiry. */
static void on_tick(union sigval sv)
{
    (void)sv;
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    counter++;
    int n = ++ticks;
    if (n % 4 == 0)
        usleep(100); /* Gs find it held by a foreign thread */
    CHECK_ERR(pthread_cond_broadcast(&tick_cv), 0);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    CHECK_EQ(sem_post(&tick_sem), 0);
    if (n < TICKS) {
        arm();
        return;
    }
    /* the last expiry waits for a G: on a semaphore, then on a condvar */
    CHECK_EQ(sem_wait(&reply_sem), 0);
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    while (!acked)
        CHECK_ERR(pthread_cond_wait(&ack_cv, &mu), 0);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    CHECK_EQ(sem_post(&done_sem), 0);
}

static void *contender(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        CHECK_ERR(pthread_mutex_lock(&mu), 0);
        long v = counter;
        if ((r + id) % 100 == 0)
            sched_yield();
        counter = v + 1;
        CHECK_ERR(pthread_mutex_unlock(&mu), 0);
        if (r % 500 == 0)
            usleep(TICK_NS / 1000); /* spread over the ticks */
    }
    return NULL;
}

static void *tick_waiter(void *arg)
{
    (void)arg;
    for (int i = 0; i < TICKS; i++)
        CHECK_EQ(sem_wait(&tick_sem), 0);
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    while (ticks < TICKS)
        CHECK_ERR(pthread_cond_wait(&tick_cv, &mu), 0);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    /* answer the last expiry's thread, which waits for us */
    CHECK_EQ(sem_post(&reply_sem), 0);
    CHECK_ERR(pthread_mutex_lock(&mu), 0);
    acked = 1;
    CHECK_ERR(pthread_cond_signal(&ack_cv), 0);
    CHECK_ERR(pthread_mutex_unlock(&mu), 0);
    CHECK_EQ(sem_wait(&done_sem), 0);
    return NULL;
}

int main(void)
{
    CHECK_EQ(sem_init(&tick_sem, 0, 0), 0);
    CHECK_EQ(sem_init(&reply_sem, 0, 0), 0);
    CHECK_EQ(sem_init(&done_sem, 0, 0), 0);
    struct sigevent sev = {0};
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = on_tick;
    CHECK_EQ(timer_create(CLOCK_MONOTONIC, &sev, &timer), 0);
    arm();
    pthread_t t[GS + 1];
    spawn(t, GS, contender);
    CHECK_ERR(pthread_create(&t[GS], NULL, tick_waiter, NULL), 0);
    join_all(t, GS + 1);
    CHECK_EQ(timer_delete(timer), 0);
    CHECK_EQ(counter, (long)GS * ROUNDS + TICKS);
    CHECK_EQ(ticks, TICKS);
    printf("%d timer threads and %d threads x %d increments on one mutex: counter %ld; "
           "semaphore and condvar hand-offs both ways\n", TICKS, GS, ROUNDS, counter);
    return 0;
}
