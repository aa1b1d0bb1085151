/* A thread with a 256 KiB stack recurses until it overflows: the process
 * must die of SIGSEGV, as it does natively when the thread runs into its
 * guard page, and never run on into other memory (a G's stack sits among
 * other Gs' stacks). Under mnrt the guard region is the G's own
 * (docs/design.md §16) and its SIGSEGV handler first says which thread
 * overflowed which stack: "mnrt: thread N overflowed its 262144-byte
 * stack" (checked on stderr by the runner). Core dumps are turned off so
 * that the crash stays quick.
 * With the argument "own-handler" the program does what Rust's runtime
 * does: it installs a SIGSEGV handler only where sigaction says SIG_DFL,
 * and the overflowing thread gives itself an alternate signal stack; the
 * handler says it ran and exits with status 7, natively and under mnrt.
 * With the argument "after-8" eight threads with the same stack size wait
 * first, so that the one that overflows has the ninth stack of a batch
 * that mnrt maps and whose guards it makes together (core/stack.c). */
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
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

static void own_handler(int sig)
{
    (void)sig;
    static const char msg[] = "the program's own handler ran\n";
    write(1, msg, sizeof msg - 1);
    _exit(7);
}

static void *wait_for_ever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *overflow(void *arg)
{
    if (arg) {
        static char altstack[64 * 1024];
        stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
        CHECK_EQ(sigaltstack(&ss, NULL), 0);
    }
    return (void *)recurse(0);
}

/* Rust's rule: a handler of its own only where nobody has one. */
static void install_own_handler(void)
{
    struct sigaction old, sa;
    CHECK_EQ(sigaction(SIGSEGV, NULL, &old), 0);
    CHECK(old.sa_handler == SIG_DFL, "SIGSEGV already has a handler");
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = own_handler;
    sa.sa_flags = SA_ONSTACK;
    CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
}

int main(int argc, char **argv)
{
    bool own = argc > 1 && strcmp(argv[1], "own-handler") == 0;
    int before = argc > 1 && strcmp(argv[1], "after-8") == 0 ? 8 : 0;
    if (own)
        install_own_handler();
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    printf("overflowing a %d-byte stack\n", STACK);
    fflush(stdout);
    pthread_attr_t attr;
    CHECK_ERR(pthread_attr_init(&attr), 0);
    CHECK_ERR(pthread_attr_setstacksize(&attr, STACK), 0);
    pthread_t t;
    for (int i = 0; i < before; i++)
        CHECK_ERR(pthread_create(&t, &attr, wait_for_ever, NULL), 0);
    CHECK_ERR(pthread_create(&t, &attr, overflow, own ? &t : NULL), 0);
    pthread_join(t, NULL);
    printf("survived an overflow at depth %ld\n", depth); /* must not happen */
    return 1;
}
