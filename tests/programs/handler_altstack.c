/* Signal handlers that wait (poll, async-signal-safe) while other threads
 * compute, with two Ps: a handler's G may go on on another kernel thread
 * (core/signals.c run_handler).
 * - The kernel restores at sigreturn the alternate stack it saved at
 *   delivery: an M's own, which another M then shared once the handler
 *   had moved (mnrt's preemption handler crashed on it). After each
 *   handler no two kernel threads may report the same alternate stack.
 * - A handler on the alternate stack (SA_ONSTACK) stays on its kernel
 *   thread until it returns: its frames are on that thread's stack.
 * The kernel's view is read with raw system calls: mnrt's sigaltstack()
 * and gettid() answer for the thread, not for its kernel thread. */
#include "check.h"

#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define HANDLERS 200
#define KTHREADS 64

static long kernel_tid(void)
{
    return raw_syscall2(SYS_gettid, 0, 0);
}

static atomic_int alarms, onstack_runs, onstack_moved;
static atomic_bool stop;
static long seen_tid[KTHREADS];
static void *seen_sp[KTHREADS];
static int nseen;
static bool shared;

/* mnrt's, found with dlsym (natively absent: a thread never changes
 * kernel thread): keeps the thread on its kernel thread meanwhile. */
static int (*lock_thread)(void), (*unlock_thread)(void);

/* Records the kernel's alternate stack of the calling kernel thread. The
 * thread must stay on one kernel thread from gettid to sigaltstack: a
 * check of gettid before and after does not make sure of that, since it
 * may go from A to B and back in between (a handler that waited at each
 * system call's return, or preemption), and then B's stack was noted as
 * A's (CI, at load 12-130: "the same alternate stack", with no runtime
 * fault). So the handlers are held off (they run at the unblock, where
 * they may move it as before) and, under mnrt, the thread is locked to
 * its kernel thread (against preemption) while it reads. */
static void note_altstack(void)
{
    sigset_t both, old;
    sigemptyset(&both);
    sigaddset(&both, SIGALRM);
    sigaddset(&both, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &both, &old), 0);
    if (lock_thread)
        lock_thread();
    stack_t ss;
    long tid = kernel_tid();
    long r = raw_syscall2(SYS_sigaltstack, 0, (long)&ss);
    if (unlock_thread)
        unlock_thread();
    CHECK_EQ(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
    if (r != 0 || (ss.ss_flags & SS_DISABLE))
        return;
    int i;
    for (i = 0; i < nseen && seen_tid[i] != tid; i++)
        if (seen_sp[i] == ss.ss_sp)
            shared = true;
    for (int j = i + 1; j < nseen; j++)
        if (seen_sp[j] == ss.ss_sp)
            shared = true;
    if (i == nseen && nseen < KTHREADS)
        seen_tid[nseen++] = tid;
    if (i < KTHREADS)
        seen_sp[i] = ss.ss_sp;
}

static void on_alarm(int sig)
{
    (void)sig;
    poll(NULL, 0, 1);
    atomic_fetch_add(&alarms, 1);
}

static void on_usr1(int sig)
{
    (void)sig;
    long before = kernel_tid();
    poll(NULL, 0, 1);
    if (kernel_tid() != before)
        atomic_fetch_add(&onstack_moved, 1);
    atomic_fetch_add(&onstack_runs, 1);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *compute(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        volatile long x = 0;
        for (int i = 0; i < 20000; i++)
            x += i;
        pthread_mutex_lock(&mu);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

int main(void)
{
    lock_thread = (int (*)(void))dlsym(RTLD_DEFAULT, "mnrt_lock_thread");
    unlock_thread = (int (*)(void))dlsym(RTLD_DEFAULT, "mnrt_unlock_thread");
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGALRM);
    sigaddset(&both, SIGUSR1);
    CHECK_EQ(pthread_sigmask(SIG_BLOCK, &both, NULL), 0); /* the main thread's alone */
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, compute, NULL), 0);
    CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &both, NULL), 0);

    static char stack[64 * 1024];
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack};
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);

    struct itimerval every_2ms = {{0, 2000}, {0, 2000}};
    CHECK_EQ(setitimer(ITIMER_REAL, &every_2ms, NULL), 0);
    while (atomic_load(&alarms) < HANDLERS) {
        pthread_mutex_lock(&mu);
        pthread_mutex_unlock(&mu);
        note_altstack();
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
    for (int i = 0; i < HANDLERS / 4; i++) {
        CHECK_EQ(pthread_kill(pthread_self(), SIGUSR1), 0);
        note_altstack();
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    CHECK(!shared, "two kernel threads had the same alternate stack");
    CHECK_EQ(atomic_load(&onstack_runs), HANDLERS / 4);
    CHECK(atomic_load(&onstack_moved) == 0, "%d SA_ONSTACK handlers changed kernel thread",
          atomic_load(&onstack_moved));
    printf("%d handlers waited; no alternate stack shared, no SA_ONSTACK handler moved\n",
           HANDLERS + HANDLERS / 4);
    return 0;
}
