/* A wait mnrt converts keeps the waiter's vector registers. Threads wait
 * with raw futex system calls (as libgomp and other runtimes with locks of
 * their own do), which mnrt sees only as a kernel thread blocked: sysmon
 * converts each such wait into a park by signal, through the preemption
 * trampoline, which saves and restores the thread's registers. Each
 * waiter keeps a double in an xmm register across its wait. Then threads
 * that compute make sysmon preempt by signal too, and the waiters are
 * woken: each must find its value.
 * Under mnrt the trampoline's save area (xsave or fxsave, and its size)
 * was measured only before sysmon's first preemption: a wait converted
 * before it was saved with fxsave and restored with xrstor, which found
 * garbage for a header: SIGSEGV in the trampoline (OpenMP programs,
 * gettext's msgmerge), or the vector registers reset to zero. */
#include "check.h"

#include <linux/futex.h>
#include <stdatomic.h>

enum { WAITERS = 3, SPINNERS = 3, SPIN_MS = 200 };

static _Atomic int go;

static long futex_wait_raw(_Atomic int *word, int value)
{
    long r;
    register long timeout __asm__("r10") = 0;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_futex), "D"(word), "S"((long)FUTEX_WAIT_PRIVATE),
                       "d"((long)value), "r"(timeout)
                     : "rcx", "r11", "memory");
    return r;
}

/* value stays in an xmm register for the whole wait: the system call
 * names no vector register clobbered, so nothing saves it around it */
__attribute__((noinline)) static double wait_keeping(double value)
{
    __asm__ volatile("" : "+x"(value));
    while (atomic_load(&go) == 0)
        futex_wait_raw(&go, 0);
    double after;
    __asm__ volatile("movsd %1, %0" : "=x"(after) : "x"(value));
    return after;
}

static void *waiter(void *arg)
{
    double want = (double)(long)arg + 0.25;
    double got = wait_keeping(want);
    if (got != want)
        fprintf(stderr, "waiter %ld: %g after the wait, not %g\n", (long)arg, got, want);
    return (void *)(long)(got == want);
}

static void *spinner(void *arg)
{
    volatile double x = 0;
    struct timespec end = deadline_in(CLOCK_MONOTONIC, SPIN_MS), now;
    do {
        for (int i = 0; i < 10000; i++)
            x += i * 0.5;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
    return arg;
}

int main(void)
{
    pthread_t w[WAITERS], s[SPINNERS];
    for (long i = 0; i < WAITERS; i++)
        CHECK_ERR(pthread_create(&w[i], NULL, waiter, (void *)(i + 1)), 0);
    if (under_mnrt()) /* a wait converted before any preemption */
        WAIT_UNTIL(mnrt_stats_now().converted_waits >= 1);
    else
        usleep(100000);
    for (int i = 0; i < SPINNERS; i++)
        CHECK_ERR(pthread_create(&s[i], NULL, spinner, NULL), 0);
    for (int i = 0; i < SPINNERS; i++)
        CHECK_ERR(pthread_join(s[i], NULL), 0);
    atomic_store(&go, 1);
    syscall(SYS_futex, &go, FUTEX_WAKE_PRIVATE, WAITERS, NULL, NULL, 0);
    int kept = 0;
    for (int i = 0; i < WAITERS; i++) {
        void *r;
        CHECK_ERR(pthread_join(w[i], &r), 0);
        kept += r != NULL;
    }
    printf("%d of %d waiters kept the xmm register across the wait\n", kept, WAITERS);
    return 0;
}
