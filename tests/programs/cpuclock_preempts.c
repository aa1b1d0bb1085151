/* A thread that computes and reads its CPU clock (CLOCK_THREAD_CPUTIME_ID,
 * CLOCK_PROCESS_CPUTIME_ID, getrusage(RUSAGE_THREAD)) in a loop lets a
 * sleeping thread on the same processor wake up. Run under mnrt with one
 * P and preemption by signal off, where the clock read is the only
 * scheduling point: before, the sleeper never ran again (a hang); with
 * preemption by signal on, wake-ups came 30-300 ms late, as the signal
 * often landed in the clock's system call, where it cannot stop the
 * thread. Natively the kernel runs the sleeper. */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>

static _Atomic int stop;

static void *hog(void *arg)
{
    int how = (int)(intptr_t)arg;
    volatile unsigned long x = 0;
    while (!stop) {
        for (int i = 0; i < 1000; i++)
            x++;
        struct timespec ts;
        struct rusage ru;
        if (how == 0)
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        else if (how == 1)
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        else
            getrusage(RUSAGE_THREAD, &ru);
    }
    return NULL;
}

int main(void)
{
    const char *names[] = {"CLOCK_THREAD_CPUTIME_ID", "CLOCK_PROCESS_CPUTIME_ID",
                           "getrusage(RUSAGE_THREAD)"};
    for (int how = 0; how < 3; how++) {
        stop = 0;
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, hog, (void *)(intptr_t)how), 0);
        usleep(20 * 1000); /* the hog runs meanwhile */
        stop = 1;
        CHECK_EQ(pthread_join(t, NULL), 0);
        printf("a sleeper woke beside a thread reading %s\n", names[how]);
    }
    return 0;
}
