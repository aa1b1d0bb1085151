/* A program handler that waits (poll) on a thread without an alternate
 * stack of its own, while another thread asks for a larger one than its
 * kernel thread has: mnrt replaces that kernel thread's stack (unmaps
 * the old one, core/altstack.c mn_altstack_fit). With one P the handler
 * ends on the same kernel thread, and sigreturn restored the stack saved
 * at delivery, the unmapped one: the next signal handled on it faulted.
 * Every handler now gives sigreturn its kernel thread's current stack
 * (core/signals.c run_handler). The kernel's view is read with raw
 * system calls: mnrt's sigaltstack() answers for the thread. */
#include "check.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int handler_began;

static void on_usr1(int sig)
{
    (void)sig;
    handler_began = 1;
    poll(NULL, 0, 100);
}

static void *large_altstack(void *arg)
{
    (void)arg;
    while (!handler_began)
        sched_yield();
    static char stack[1 << 20];
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack};
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    for (int i = 0; i < 200; i++) {
        sched_yield();
        usleep(100);
    }
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, large_altstack, NULL), 0);
    CHECK_EQ(pthread_kill(pthread_self(), SIGUSR1), 0);
    stack_t k;
    CHECK_EQ(raw_syscall2(SYS_sigaltstack, 0, (long)&k), 0);
    if (!(k.ss_flags & SS_DISABLE) && k.ss_sp) {
        unsigned char in_core;
        CHECK(mincore((void *)((unsigned long)k.ss_sp & ~4095ul), 4096, &in_core) == 0,
              "the kernel thread's alternate stack %p is not mapped", k.ss_sp);
    }
    CHECK_EQ(pthread_join(t, NULL), 0);
    printf("after the handler the kernel thread's alternate stack is mapped, or none\n");
    return 0;
}
