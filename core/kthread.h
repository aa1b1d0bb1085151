/* Looks at a kernel thread of this process from another one (docs/design.md
 * §8 kind 3; docs/glibc-facts.md §7, detecting a blocked kernel thread):
 * whether the kernel has it asleep, and how much CPU time it has used.
 * Both work on any thread of the process, M or not, and cost a few
 * microseconds (the state) or a fraction of one (the clock). */
#ifndef MN_CORE_KTHREAD_H
#define MN_CORE_KTHREAD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* The CPU-time clock of kernel thread tid (the kernel's encoding, as
 * glibc's MAKE_THREAD_CPUCLOCK). */
static inline clockid_t mn_kthread_cpuclock(pid_t tid)
{
    return (clockid_t)((~(unsigned)tid << 3) | 4 | 2);
}

/* CPU time used by the thread with that clock, in ns; -1 if it is gone. */
int64_t mn_kthread_cpu_ns(clockid_t clock);

/* The state of tid in /proc (R running or runnable, S or D asleep, T or t
 * stopped, Z/X ending...), 0 if it is gone. */
char mn_kthread_state(pid_t tid);

/* The kernel has tid asleep (state S or D). */
static inline bool mn_kthread_sleeps(pid_t tid)
{
    char s = mn_kthread_state(tid);
    return s == 'S' || s == 'D';
}

/* A system call a kernel thread is blocked in, as /proc shows it. */
struct mn_kthread_call {
    long nr;                 /* its number */
    unsigned long args[6];   /* its arguments */
    uintptr_t pc;            /* the address after its `syscall` instruction */
};

/* What kernel thread tid is blocked in, from /proc. Returns false when it
 * is in none (or running, or gone). */
bool mn_kthread_syscall(pid_t tid, struct mn_kthread_call *call);

/* The calling kernel thread's tid (no system call on an M). */
pid_t mn_kthread_self(void);

#endif
