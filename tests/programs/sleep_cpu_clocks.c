/* Sleeps on clocks mnrt has no timers for: the process's CPU-time clock
 * (the sleep ends once the process used 5 ms more CPU, here a spinning
 * thread's) and a thread's CPU-time clock (EINVAL), by clock_nanosleep and
 * by syscall(SYS_clock_nanosleep). These go to the kernel. mnrt's own
 * fallback to the kernel called syscall(), which is mnrt's too and brought
 * the call back to clock_nanosleep: the thread recursed until its stack
 * overflowed (SIGSEGV). */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;

static void *spin(void *arg)
{
    while (!atomic_load(&stop))
        ;
    return arg;
}

static void *sleeper(void *arg)
{
    struct timespec ts = {0, 5 * 1000 * 1000};
    CHECK_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL), EINVAL);
    CHECK_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &ts, NULL), 0);
    CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, &ts, NULL), 0);
    struct timespec now;
    CHECK_EQ(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now), 0);
    struct timespec until = {now.tv_sec, now.tv_nsec + ts.tv_nsec};
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    CHECK_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &until, NULL), 0);
    return arg;
}

int main(void)
{
    pthread_t s, t;
    CHECK_EQ(pthread_create(&s, NULL, spin, NULL), 0);
    CHECK_EQ(pthread_create(&t, NULL, sleeper, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    atomic_store(&stop, 1);
    CHECK_EQ(pthread_join(s, NULL), 0);
    printf("slept on the process's CPU-time clock three times; the thread's: EINVAL\n");
    return 0;
}
