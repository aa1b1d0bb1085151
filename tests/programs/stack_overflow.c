/* A thread with a 256 KiB stack recurses until it overflows: the process
 * must die of SIGSEGV, as it does natively when the thread runs into its
 * guard page, and never run on into other memory (a G's stack sits among
 * other Gs' stacks). Under mnrt the guard region is the G's own
 * (DESIGN.md §10) and its SIGSEGV handler first says which thread
 * overflowed which stack: "mnrt: thread N overflowed its 262144-byte
 * stack" (checked on stderr by the runner). Core dumps are turned off so
 * that the crash stays quick. */
#include "check.h"

#include <pthread.h>
#include <sys/resource.h>

#define STACK (256 * 1024)

static volatile long depth, limit = 1L << 40; /* never reached */

static long recurse(long n)
{
    volatile char frame[512];
    frame[0] = (char)n;
    depth = n;
    if (n >= limit)
        return n;
    return recurse(n + 1) + frame[0]; /* not a tail call */
}

static void *overflow(void *arg)
{
    (void)arg;
    return (void *)recurse(0);
}

int main(void)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    printf("overflowing a %d-byte stack\n", STACK);
    fflush(stdout);
    pthread_attr_t attr;
    CHECK_ERR(pthread_attr_init(&attr), 0);
    CHECK_ERR(pthread_attr_setstacksize(&attr, STACK), 0);
    pthread_t t;
    CHECK_ERR(pthread_create(&t, &attr, overflow, NULL), 0);
    pthread_join(t, NULL);
    printf("survived an overflow at depth %ld\n", depth); /* must not happen */
    return 1;
}
