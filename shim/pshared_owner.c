/* Owners of process-shared objects (pthread_impl.h): a kernel tid.
 *
 * A mutex or rwlock in memory another process maps names its owner with a
 * thread id that must mean the same in every process: glibc compares it
 * with its own kernel tid (recursive and errorcheck mutexes, rwlock
 * writers), the kernel looks the owner of a PI futex up by it and marks a
 * robust futex whose owner thread dies by it. A G's fake tid (core/g.c) is
 * unique in its process only (every mnrt process hands out the same ones),
 * and a G may run on another kernel thread after each park. So a G that
 * takes such an object is pinned to its kernel thread (mn_lock_thread)
 * and uses that thread's tid, for as long as it holds the object: the
 * pinned M runs nothing else, so the tid names the G alone meanwhile, and
 * if the G exits holding it, its M exits too and the kernel sees the owner
 * die. Threads that are not Gs use their own tid.
 *
 * glibc's own code for such an object (the rwlock calls mnrt passes on,
 * shim/rwlock.c) reads the owner id from the caller's descriptor:
 * mn_glibc_call_begin puts the pinned thread's tid there for the call,
 * and the P is handed off while it may block. */
#include "shim/pthread_impl.h"

#include "compat/raw_syscall.h"

#include <sys/syscall.h>

pid_t mn_kernel_tid(void)
{
    mn_g *g = mn_getg();
    if (g)
        return g->m->tid; /* libmnrt's code is never preempted: m stays */
    return (pid_t)mn_raw_syscall(SYS_gettid);
}

/* A pinned M makes no M itself (core/sched.c): sysmon does, so it must
 * run (as for bound calls, shim/bound.c). Started once per process, by
 * its first thread usually. */
static void pin(void)
{
    if (mn_getg()) {
        mn_monitor_ensure();
        mn_lock_thread(false);
    }
}

pid_t mn_pshared_pin(void)
{
    pin();
    return mn_kernel_tid();
}

void mn_pshared_unpin(void)
{
    mn_unlock_thread(false);
}

void mn_glibc_call_begin(struct mn_glibc_call *c)
{
    c->g = mn_getg();
    if (!c->g)
        return;
    pin();
    mn_tcb_set_tid(c->g->tcb, c->g->m->tid);
    mn_entersyscall();
}

void mn_glibc_call_end(struct mn_glibc_call *c, bool keep_pinned)
{
    if (!c->g)
        return;
    int err = errno;
    mn_tcb_set_tid(c->g->tcb, c->g->tid);
    mn_exitsyscall();
    if (!keep_pinned)
        mn_unlock_thread(false);
    errno = err;
}
