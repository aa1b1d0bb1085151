/* The only thread, locked to its kernel thread (mnrt_lock_thread, as a
 * thread holding a process-shared errorcheck, robust or PI mutex is),
 * sleeps: its kernel thread runs nothing else and stops, its P goes idle
 * with the sleep's timer, and some other kernel thread must run that
 * timer. None did when no M slept waiting for timers (mnrt made no other
 * one yet): the sleep never ended without sysmon (a hang), and took
 * sysmon's idle second with it (usleep(1000) of a process that had just
 * locked a process-shared errorcheck mutex: 1,000 ms). Natively the
 * program only sleeps. */
#include "check.h"

int main(void)
{
    int (*lock)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mnrt_lock_thread");
    int (*unlock)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mnrt_unlock_thread");
    if (lock)
        CHECK_EQ(lock(), 0);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(usleep(1000), 0);
    if (unlock)
        CHECK_EQ(unlock(), 0);
    printf("slept 3 times, locked to its kernel thread\n");
    return 0;
}
