/* A jump (siglongjmp) that lands inside a handler on the alternate signal
 * stack (SA_ONSTACK), after which the handler sleeps while other threads
 * compute. Under mnrt the handler's frames lie on its M's alternate stack,
 * so its G must stay on that M until the handler returns. A jump counted
 * every handler left, wherever it landed: the G moved to another M in its
 * sleep, that M's stack was not the one holding its frames, and the
 * process died of SIGSEGV (3 of 3 runs with 4 computing threads).
 * Two ways to land there:
 *   self   - the handler jumps to a buffer it filled itself;
 *   nested - a second SA_ONSTACK handler, raised inside the first, jumps
 *            back into the first (the second is over, the first goes on).
 * Each handler checks that a value in its frame survived its sleeps.
 * usage: jump_inside_onstack_handler self|nested [ROUNDS] */
#include "check.h"

#include <setjmp.h>
#include <signal.h>

static int nested;
static sigjmp_buf into_first;
static volatile int second_ran;

static void sleep_a_little(void)
{
    for (int i = 0; i < 3; i++)
        usleep(50); /* parks the G, its frames on the alternate stack */
}

static void on_usr2(int sig)
{
    (void)sig;
    second_ran++;
    siglongjmp(into_first, 1); /* back into on_usr1, this handler over */
}

static void on_usr1(int sig)
{
    volatile unsigned long canary = 0x5eed0000UL + (unsigned long)sig;
    sigjmp_buf self;
    if (nested) {
        if (sigsetjmp(into_first, 1) == 0)
            raise(SIGUSR2);
    } else if (sigsetjmp(self, 1) == 0) {
        siglongjmp(self, 1);
    }
    sleep_a_little();
    if (canary != 0x5eed0000UL + (unsigned long)sig)
        abort(); /* its frame was overwritten */
}

static void *compute(void *arg)
{
    (void)arg;
    for (;;) {
        for (volatile int i = 0; i < 100000; i++)
            ;
        usleep(10);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc > 1 && (strcmp(argv[1], "self") == 0 || strcmp(argv[1], "nested") == 0),
          "usage: jump_inside_onstack_handler self|nested [ROUNDS]");
    nested = strcmp(argv[1], "nested") == 0;
    int rounds = argc > 2 ? atoi(argv[2]) : 2000;
    CHECK(rounds > 0, "ROUNDS must be positive");
    stack_t ss = {.ss_sp = malloc(1 << 16), .ss_size = 1 << 16};
    CHECK(ss.ss_sp != NULL, "malloc");
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_ONSTACK;
    sa.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    sa.sa_handler = on_usr2;
    CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, compute, NULL), 0);
    }
    for (int i = 0; i < rounds; i++)
        CHECK_EQ(raise(SIGUSR1), 0);
    CHECK_EQ(second_ran, nested ? rounds : 0);
    printf("%d handlers slept after a jump into them (%s)\n", rounds, argv[1]);
    return 0;
}
