/* Two threads that each wait for the mutex the other holds, and nothing
 * else that could ever wake them: mnrt says so and exits with status 2
 * (core/deadlock.h), as Go does, instead of hanging. The report was never
 * made since preemption by signal came: mnrt's own SIGURG handler counted
 * as a program handler that could wake a thread. Run under mnrt only
 * (natively the program hangs). */
#include "check.h"

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void *takes_b_then_a(void *arg)
{
    (void)arg;
    CHECK_EQ(pthread_mutex_lock(&b), 0);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&a);
    return NULL;
}

int main(void)
{
    pthread_t t;
    CHECK_EQ(pthread_barrier_init(&both, NULL, 2), 0);
    CHECK_EQ(pthread_create(&t, NULL, takes_b_then_a, NULL), 0);
    CHECK_EQ(pthread_mutex_lock(&a), 0);
    pthread_barrier_wait(&both);
    pthread_mutex_lock(&b);
    return 0;
}
