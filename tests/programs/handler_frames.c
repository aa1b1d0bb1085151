/* Signal handlers that end other than by returning, or that wait on the
 * alternate signal stack, while other threads compute (core/sigframes.h).
 * Under mnrt a handler on the alternate stack has its frames on its M's
 * stack, so its G must stay on that M until the handler is over; and a
 * jump must tell the handlers it leaves from those it lands in.
 *   jump_self   - an SA_ONSTACK handler jumps to a buffer it filled
 *                 itself, then sleeps;
 *   jump_nested - a second SA_ONSTACK handler, raised inside the first,
 *                 jumps back into the first, which then sleeps;
 *   segv_sleeps - a real fault's handler sleeps, then jumps out;
 *   bus_sleeps  - the same with a real bus error (a page of an empty
 *                 file), whose SA_ONSTACK handler the kernel ran;
 *   to_coroutine - 40 threads each run a coroutine (makecontext) that
 *                 faults; the SA_ONSTACK handler jumps back into the
 *                 coroutine, which ends; the threads then sleep: under
 *                 mnrt they must need no more kernel threads than Ps + 8
 *                 (a jump from the alternate stack to a third stack kept
 *                 its handler's pin, and each thread its kernel thread,
 *                 for good: 43 for 40, a review);
 *   swapcontext - handlers switch between two contexts (swapcontext, as
 *                 preemptive green-thread libraries do), so they end in
 *                 another order than they began; then a plain longjmp
 *                 outside any handler, after the stack was written over;
 *                 in 8 fresh processes (swapcontext_once), since what a
 *                 stale record held depended on the layout.
 * Before: a jump counted every handler left, wherever it landed, so the
 * G moved to another M while its frames were on the first one's stack
 * (jump_self, jump_nested: SIGSEGV in 3 of 3 runs); a handler of a fault
 * never kept its G on its M (segv_sleeps: SIGSEGV in 2 of 3 runs, a
 * review; bus_sleeps: 3 of 3, a second review; core/faults.c now runs
 * them all); and with records in the handlers' frames, a
 * handler that ended out of order left one behind that the next jump read
 * (swapcontext: SIGSEGV in 2 of 3 runs of a review's probe; in 3 of 10
 * single processes, 10 rounds each).
 * Each handler that sleeps checks that a value in its frame survived.
 * usage: handler_frames MODE [ROUNDS] */
#include "check.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#define CANARY(sig) (0x5eed0000UL + (unsigned long)(sig))

static const char *mode;
static sigjmp_buf into_first, out_of_fault;
static volatile int second_ran;
static int *volatile nowhere;

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
    volatile unsigned long canary = CANARY(sig);
    sigjmp_buf self;
    if (strcmp(mode, "jump_nested") == 0) {
        if (sigsetjmp(into_first, 1) == 0)
            raise(SIGUSR2);
    } else if (sigsetjmp(self, 1) == 0) {
        siglongjmp(self, 1);
    }
    sleep_a_little();
    if (canary != CANARY(sig))
        abort(); /* its frame was overwritten */
}

static void on_fault(int sig)
{
    volatile unsigned long canary = CANARY(sig);
    sleep_a_little();
    if (canary != CANARY(sig))
        abort();
    siglongjmp(out_of_fault, 1);
}

/* ---- swapcontext ---- */

static ucontext_t ctx[2];
static int cur; /* 0: main's context, 1: the other */
static volatile int switches;
static jmp_buf plain;

static void on_usr1_switch(int sig)
{
    (void)sig;
    int from = cur;
    cur = !cur;
    switches++;
    swapcontext(&ctx[from], &ctx[cur]);
}

static void other_context(void)
{
    for (;;)
        raise(SIGUSR1); /* back to main's context, inside a handler */
}

static void switch_contexts(int rounds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1_switch;
    sa.sa_flags = SA_NODEFER;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    CHECK_EQ(getcontext(&ctx[1]), 0);
    ctx[1].uc_stack.ss_sp = malloc(1 << 16);
    CHECK(ctx[1].uc_stack.ss_sp != NULL, "malloc");
    ctx[1].uc_stack.ss_size = 1 << 16;
    ctx[1].uc_link = NULL;
    makecontext(&ctx[1], other_context, 0);
    for (int i = 0; i < rounds; i++)
        CHECK_EQ(raise(SIGUSR1), 0); /* to the other context, inside a handler */
    CHECK_EQ(switches, 2 * rounds);
    scribble_stack();
    if (setjmp(plain) == 0)
        jump_from_below(plain);
}

/* ---- to_coroutine ---- */

static __thread sigjmp_buf in_coroutine;
static __thread ucontext_t coroutine, thread_context;
static pthread_barrier_t all_done;

static void on_segv_to_coroutine(int sig)
{
    (void)sig;
    siglongjmp(in_coroutine, 1); /* from the alternate stack to the coroutine's */
}

static void coroutine_faults(void)
{
    if (sigsetjmp(in_coroutine, 1) == 0)
        *nowhere = 1;
}

static void *run_coroutine(void *arg)
{
    (void)arg;
    give_thread_altstack();
    char *stack = malloc(1 << 16);
    CHECK(stack != NULL, "malloc");
    CHECK_EQ(getcontext(&coroutine), 0);
    coroutine.uc_stack = (stack_t){.ss_sp = stack, .ss_size = 1 << 16};
    coroutine.uc_link = &thread_context;
    makecontext(&coroutine, coroutine_faults, 0);
    CHECK_EQ(swapcontext(&thread_context, &coroutine), 0);
    pthread_barrier_wait(&all_done);
    usleep(200 * 1000);
    return NULL;
}

static void to_coroutines(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv_to_coroutine;
    sa.sa_flags = SA_ONSTACK | SA_NODEFER;
    CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
    pthread_t t[40];
    CHECK_ERR(pthread_barrier_init(&all_done, NULL, 41), 0);
    for (int i = 0; i < 40; i++)
        CHECK_ERR(pthread_create(&t[i], NULL, run_coroutine, NULL), 0);
    pthread_barrier_wait(&all_done);
    usleep(50 * 1000); /* all asleep */
    int kernel = kernel_threads();
    if (under_mnrt())
        CHECK(kernel <= mnrt_procs() + 8, "%d kernel threads for %d Ps", kernel, mnrt_procs());
    for (int i = 0; i < 40; i++)
        CHECK_ERR(pthread_join(t[i], NULL), 0);
    printf("40 coroutines left their faults' handlers by a jump into them\n");
}

/* ---- the rest ---- */

int main(int argc, char **argv)
{
    static const char *const modes[] = {"jump_self",  "jump_nested",  "segv_sleeps",
                                        "bus_sleeps", "to_coroutine", "swapcontext",
                                        "swapcontext_once"};
    mode = argc > 1 ? argv[1] : "";
    bool known = false;
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++)
        known |= strcmp(mode, modes[i]) == 0;
    CHECK(known, "usage: handler_frames "
                 "jump_self|jump_nested|segv_sleeps|bus_sleeps|to_coroutine|swapcontext [ROUNDS]");
    if (strcmp(mode, "to_coroutine") == 0) {
        to_coroutines();
        return 0;
    }
    bool swapping = strncmp(mode, "swapcontext", 11) == 0;
    int rounds = argc > 2 ? atoi(argv[2]) : swapping ? 10 : 2000;
    CHECK(rounds > 0, "ROUNDS must be positive");
    if (strcmp(mode, "swapcontext") == 0) {
        char rounds_arg[16];
        snprintf(rounds_arg, sizeof rounds_arg, "%d", rounds);
        run_fresh_copies(8, (char *[]){argv[0], "swapcontext_once", rounds_arg, NULL});
        printf("8 processes: %d handlers switched contexts, then a plain jump\n", rounds);
        return 0;
    }
    if (swapping) {
        switch_contexts(rounds);
        return 0;
    }
    give_thread_altstack();
    bool segv = strcmp(mode, "segv_sleeps") == 0, bus = strcmp(mode, "bus_sleeps") == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_ONSTACK;
    if (segv || bus) { /* (only the one: a handler mnrt runs changes how Ms wait) */
        sa.sa_handler = on_fault;
        CHECK_EQ(sigaction(segv ? SIGSEGV : SIGBUS, &sa, NULL), 0);
    } else {
        sa.sa_handler = on_usr1;
        CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
        sa.sa_handler = on_usr2;
        CHECK_EQ(sigaction(SIGUSR2, &sa, NULL), 0);
    }
    int empty = memfd_create("handler_frames", 0); /* a page beyond its end: SIGBUS */
    CHECK(empty >= 0, "memfd_create: %s", strerror(errno));
    volatile char *past_end = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, empty, 0);
    CHECK(past_end != MAP_FAILED, "mmap: %s", strerror(errno));
    for (int i = 0; i < 4; i++) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, compute_in_bursts, NULL), 0);
    }
    for (int i = 0; i < rounds; i++) {
        if (!segv && !bus) {
            CHECK_EQ(raise(SIGUSR1), 0);
        } else if (sigsetjmp(out_of_fault, 1) == 0) {
            if (segv)
                *nowhere = 1; /* a real fault */
            else
                past_end[0] = 1; /* a real bus error */
        }
    }
    CHECK_EQ(second_ran, strcmp(mode, "jump_nested") == 0 ? rounds : 0);
    printf("%d handlers slept (%s)\n", rounds, mode);
    return 0;
}
