/* The main thread, the program's only thread of its own, waits for a
 * stream lock that a thread glibc made holds (a SIGEV_THREAD timer's
 * callback, which runs on glibc's helper thread): flockfile must return
 * once the callback lets go. With an argument, main first waits for input
 * on a pipe. Under mnrt the main G waits for such a lock in a watched
 * wait that only sysmon looks at (core/watch.h), and sysmon, which the
 * main G alone does not need for anything else, was not running: the wait
 * never ended (after a wait for input too, once the netpoller no longer
 * started sysmon). */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>

static atomic_int held;

static void on_timer(union sigval v)
{
    (void)v;
    flockfile(stdout);
    atomic_store(&held, 1);
    nanosleep(&(struct timespec){0, 100000000}, NULL); /* main waits meanwhile */
    funlockfile(stdout);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        wait_for_child_input(20);
    timer_t t;
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_timer};
    CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
    struct itimerspec when = {.it_value = {0, 10000000}};
    CHECK_ERRNO(timer_settime(t, 0, &when, NULL), 0);
    WAIT_UNTIL(atomic_load(&held));
    flockfile(stdout);
    printf("main took stdout once the timer's thread let it go\n");
    funlockfile(stdout);
    CHECK_ERRNO(timer_delete(t), 0);
    return 0;
}
