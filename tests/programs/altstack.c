/* Alternate signal stacks per thread, as Rust's std::thread uses them: each
 * of 1,000 threads maps one, installs it, sleeps (parking under mnrt, so
 * it may go on on another kernel thread), raises SIGUSR1 to itself, whose
 * SA_ONSTACK handler must run on an alternate stack, sleeps again, then
 * disables and unmaps its stack and exits. Meanwhile the main thread
 * sends SIGUSR1 to the whole process again and again. A stack one thread
 * unmapped must never be used for a signal that another thread gets
 * (under mnrt a kernel thread runs many threads): no crash. */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define THREADS 1000
#define ALIVE 100
#define STACK (64 * 1024)

static atomic_int on_alt, raised;
static __thread volatile sig_atomic_t raising;

static void on_usr1(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    if (!raising || info->si_code != SI_TKILL) /* raise's, not main's kill */
        return;
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK))
        atomic_fetch_add(&on_alt, 1);
}

static void *worker(void *arg)
{
    (void)arg;
    void *mem = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mem != MAP_FAILED, "mmap: %s", strerror(errno));
    stack_t ss = {.ss_sp = mem, .ss_size = STACK, .ss_flags = 0}, old;
    CHECK_EQ(sigaltstack(&ss, &old), 0);
    CHECK(old.ss_flags & SS_DISABLE, "a new thread has no alternate stack");
    usleep(100);
    raising = 1;
    raise(SIGUSR1);
    raising = 0;
    atomic_fetch_add(&raised, 1);
    usleep(100);
    /* new and old in one struct: the kernel reads before it writes (the
     * system call, since glibc's prototype says restrict) */
    stack_t same = {.ss_flags = SS_DISABLE};
    CHECK_EQ(syscall(SYS_sigaltstack, &same, &same), 0);
    CHECK(same.ss_sp == mem && same.ss_size == STACK, "the stack read back");
    CHECK_EQ(sigaltstack(NULL, &old), 0);
    CHECK(old.ss_flags & SS_DISABLE, "disabled through one struct");
    CHECK_EQ(munmap(mem, STACK), 0);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    static pthread_t t[ALIVE];
    for (int i = 0; i < THREADS; i++) {
        if (i >= ALIVE)
            CHECK_ERR(pthread_join(t[i % ALIVE], NULL), 0);
        CHECK_ERR(pthread_create(&t[i % ALIVE], NULL, worker, NULL), 0);
        if (i % 10 == 0)
            kill(getpid(), SIGUSR1);
    }
    for (int i = 0; i < ALIVE; i++)
        CHECK_ERR(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 100; i++) {
        kill(getpid(), SIGUSR1);
        usleep(100);
    }
    printf("%d threads raised a signal; %d handlers ran on an alternate stack\n",
           atomic_load(&raised), atomic_load(&on_alt));
    return 0;
}
