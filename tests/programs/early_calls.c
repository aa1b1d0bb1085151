/* Calls made before mnrt boots behave as glibc's, and what they made keeps
 * working once mnrt runs the program (issue: programs crashed before main
 * when a library's constructor called fclose, pthread_mutex_init with an
 * attribute, dlopen, ...). early_calls_lib's constructor makes those calls
 * (and prints what it saw); then main, under M:N, has 8 threads take the
 * recursive mutex made before boot and wait on its condition variable
 * until the SIGEV_THREAD timer, whose helper thread glibc made before
 * boot, fires again; last it wakes the thread that has waited on a futex
 * since before boot. The output is the same natively and under the
 * preload; the runner also checks that mnrt did boot. */
#include "check.h"

#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>

#define THREADS 8

extern pthread_mutex_t early_mutex;
extern pthread_cond_t early_cond;
extern timer_t early_timer;
extern int early_timer_fired;
extern _Atomic uint32_t early_futex_word;
extern _Atomic int early_futex_woken;

static int counter;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&early_mutex);
    CHECK_ERR(pthread_mutex_lock(&early_mutex), 0); /* recursive, as made before boot */
    counter++;
    CHECK_ERR(pthread_mutex_unlock(&early_mutex), 0);
    while (early_timer_fired < 2)
        pthread_cond_wait(&early_cond, &early_mutex);
    pthread_mutex_unlock(&early_mutex);
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK_ERR(pthread_create(&t[i], NULL, worker, NULL), 0);
    /* every worker waits (or has seen the timer) before it fires again */
    for (;;) {
        pthread_mutex_lock(&early_mutex);
        int n = counter;
        pthread_mutex_unlock(&early_mutex);
        if (n == THREADS)
            break;
        usleep(1000);
    }
    struct itimerspec once = {.it_value = {0, 1000000}};
    CHECK_EQ(timer_settime(early_timer, 0, &once, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        CHECK_ERR(pthread_join(t[i], NULL), 0);
    printf("main: %d threads woken by the timer thread made before boot\n", counter);
    atomic_store(&early_futex_word, 1);
    syscall(SYS_futex, &early_futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    while (!atomic_load(&early_futex_woken)) /* a lost wake-up hangs here */
        usleep(1000);
    printf("main: woke the thread that waited on a futex since before boot\n");
    return 0;
}
