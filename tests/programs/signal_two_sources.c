/* Two fast asynchronous signal sources at once, as stress-ng --timer has
 * them: a POSIX timer sends SIGRTMIN to the process every 20 us and
 * setitimer SIGALRM every 100 us, for 2 s, while the main thread sleeps
 * in 1 ms naps. Then both stop, neither signal may be blocked in the
 * thread, and one more of each, sent with kill, must run its handler.
 * Before the fix a signal that landed while mnrt's handler for the other
 * had not yet started the program's handler ran to its end and recorded
 * the kernel's mask of that moment (the other signal blocked) as the
 * thread's: that signal stayed blocked for good (the last check hung,
 * within a second of storm in 3 of 3 runs). */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>

static atomic_long rt_count, alrm_count;

static void on_rt(int sig)
{
    (void)sig;
    atomic_fetch_add(&rt_count, 1);
}

static void on_alrm(int sig)
{
    (void)sig;
    atomic_fetch_add(&alrm_count, 1);
}

static void nap(void)
{
    struct timespec ts = {0, 1000 * 1000};
    nanosleep(&ts, NULL);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_rt;
    CHECK_EQ(sigaction(SIGRTMIN, &sa, NULL), 0);
    sa.sa_handler = on_alrm;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    timer_t timer;
    CHECK_EQ(timer_create(CLOCK_MONOTONIC, &sev, &timer), 0);
    struct itimerspec fast = {{0, 20 * 1000}, {0, 20 * 1000}}, off;
    memset(&off, 0, sizeof off);
    struct itimerval alarm_on = {{0, 100}, {0, 100}}, alarm_off;
    memset(&alarm_off, 0, sizeof alarm_off);
    CHECK_EQ(timer_settime(timer, 0, &fast, NULL), 0);
    CHECK_EQ(setitimer(ITIMER_REAL, &alarm_on, NULL), 0);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        nap();
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 2);
    CHECK_EQ(timer_settime(timer, 0, &off, NULL), 0);
    CHECK_EQ(setitimer(ITIMER_REAL, &alarm_off, NULL), 0);
    CHECK_EQ(timer_delete(timer), 0);

    sigset_t mask;
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
    printf("after the storm: SIGRTMIN %s, SIGALRM %s\n",
           sigismember(&mask, SIGRTMIN) ? "blocked" : "not blocked",
           sigismember(&mask, SIGALRM) ? "blocked" : "not blocked");
    long rt = atomic_load(&rt_count), alrm = atomic_load(&alrm_count);
    CHECK_EQ(kill(getpid(), SIGRTMIN), 0);
    CHECK_EQ(kill(getpid(), SIGALRM), 0);
    while (atomic_load(&rt_count) == rt || atomic_load(&alrm_count) == alrm)
        nap();
    printf("one more of each, sent with kill: both handlers ran\n");
    return 0;
}
