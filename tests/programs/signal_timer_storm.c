/* A POSIX timer that sends SIGRTMIN to the process every microsecond, as
 * stress-ng --timer's default has it, until a one-second alarm, whose
 * handler stops it; the main thread naps meanwhile. Each delivery makes
 * the timer send the next at once, so a kernel thread that takes these
 * signals does little else. Before the fix sysmon and Ms between threads
 * took them only to pass them on, and that never ended: the alarm was
 * never routed and the program hung (stress-ng --timer ran 591 s instead
 * of 10). Natively the signals go to the main thread's handler. */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>

static timer_t timer;
static atomic_long ticks;
static volatile sig_atomic_t stop;

static void disarm(void)
{
    struct itimerspec off;
    memset(&off, 0, sizeof off);
    timer_settime(timer, 0, &off, NULL);
}

static void on_tick(int sig)
{
    (void)sig;
    atomic_fetch_add(&ticks, 1);
    if (stop)
        disarm();
}

static void on_alarm(int sig)
{
    (void)sig;
    stop = 1;
    disarm();
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    CHECK_EQ(sigaction(SIGRTMIN, &sa, NULL), 0);
    sa.sa_handler = on_alarm;
    sigaddset(&sa.sa_mask, SIGRTMIN); /* else it may never get past its first line */
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    CHECK_EQ(timer_create(CLOCK_MONOTONIC, &sev, &timer), 0);
    struct itimerspec storm = {{0, 1000}, {0, 1000}};
    struct itimerval alarm_in = {{0, 0}, {1, 0}};
    /* the alarm first: natively this thread may run nothing but the
     * timer's handler from the next call on, until the alarm */
    CHECK_EQ(setitimer(ITIMER_REAL, &alarm_in, NULL), 0);
    CHECK_EQ(timer_settime(timer, 0, &storm, NULL), 0);
    while (!stop) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    CHECK_EQ(timer_delete(timer), 0);
    printf("the alarm stopped the timer; its handler ran: %s\n",
           atomic_load(&ticks) > 0 ? "yes" : "no");
    return 0;
}
