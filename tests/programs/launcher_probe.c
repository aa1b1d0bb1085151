/* The program launcher.py runs under `mnrt run`: prints the number of Ps
 * it got (0 when not under mnrt), keeps a few threads busy for argv[1]
 * milliseconds so that a scheduler trace has something to show, and exits
 * with status argv[2]. */
#include "check.h"

#include <pthread.h>

#define THREADS 4

static long run_ms;

static void *sleeper(void *arg)
{
    (void)arg;
    for (long slept = 0; slept < run_ms; slept += 10)
        usleep(10 * 1000);
    return NULL;
}

int main(int argc, char **argv)
{
    run_ms = argc > 1 ? atol(argv[1]) : 0;
    int status = argc > 2 ? atoi(argv[2]) : 0;
    pthread_t t[THREADS];
    spawn(t, THREADS, sleeper);
    join_all(t, THREADS);
    printf("procs=%d\n", mnrt_procs());
    return status;
}
