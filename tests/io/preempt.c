/* Cooperative preemption (docs/design.md §13): with one P (MNRT_PROCS=1), a
 * thread that spins taking an uncontended mutex never parks; sysmon asks
 * it to yield once its slice is over (2 ms, the other thread waiting)
 * and preempts it, so the other thread gets the P and can stop it. Natively the kernel's scheduler does
 * the same. Without preemption this program would never end. */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop, started;

static void *spinner(void *arg)
{
    (void)arg;
    long rounds = 0;
    while (!atomic_load(&stop)) {
        pthread_mutex_lock(&mu);
        rounds++;
        pthread_mutex_unlock(&mu);
        atomic_store(&started, 1);
    }
    return (void *)rounds;
}

static void *stopper(void *arg)
{
    (void)arg;
    while (!atomic_load(&started)) /* natively on a busy machine it may start late */
        usleep(1000);
    usleep(20 * 1000);
    atomic_store(&stop, 1);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    CHECK_EQ(pthread_create(&a, NULL, spinner, NULL), 0);
    CHECK_EQ(pthread_create(&b, NULL, stopper, NULL), 0);
    void *rounds;
    pthread_join(a, &rounds);
    pthread_join(b, NULL);
    CHECK((long)rounds > 0, "the spinner never ran");
    printf("the spinning thread was stopped by the other one\n");
    return 0;
}
