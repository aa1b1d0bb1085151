/* Threads that spin without ever calling anything must not keep the
 * others from running: SPINNERS threads (argument, default 4; meson.build
 * runs it with at least as many as Ps) loop on a flag, and one more thread
 * sleeps 1 ms and prints a line 50 times, then sets the flag. Under mnrt
 * the spinners hold every P; only preemption by signal lets the printing
 * thread run (before it, the program hung: the runner's timeout). */
#include "check.h"

#include <stdatomic.h>

#define ROUNDS 50

static atomic_int stop;

static void *spinner(void *arg)
{
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        ;
    return arg;
}

static void *progress(void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        usleep(1000);
        printf("progress %d\n", i);
        fflush(stdout);
    }
    atomic_store(&stop, 1);
    return arg;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    CHECK(n > 0 && n <= 64, "spinners: %d", n);
    pthread_t spinners[64], printer;
    for (int i = 0; i < n; i++)
        CHECK_EQ(pthread_create(&spinners[i], NULL, spinner, NULL), 0);
    CHECK_EQ(pthread_create(&printer, NULL, progress, NULL), 0);
    CHECK_EQ(pthread_join(printer, NULL), 0);
    for (int i = 0; i < n; i++)
        CHECK_EQ(pthread_join(spinners[i], NULL), 0);
    printf("%d spinners stopped\n", n);
    return 0;
}
