/* Deadlock detection: see deadlock.h. */
#include "core/deadlock.h"

#include "compat/raw_syscall.h"
#include "core/dump.h"
#include "core/exectrace_file.h"
#include "core/lowfd.h"

#include "core/runtime.h"
#include "core/signals.h"
#include "core/sysmon.h"
#include "core/watch.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int kernel_threads(void)
{
    int fd = mn_lowfd_open("/proc/self/task", O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int n = 0;
    char buf[4096];
    long len;
    while ((len = mn_raw_syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < len;) {
            const char *name = buf + off + 19; /* struct linux_dirent64.d_name */
            off += *(unsigned short *)(buf + off + 16);
            if (name[0] != '.')
                n++;
        }
    }
    mn_lowfd_close(fd);
    return n;
}

/* Gs that may yet wake the others: running or runnable, or finishing
 * (its exit wakes its joiner); and one in sigsuspend or pause, which
 * waits for a signal by design (to be killed, as natively, or one from
 * another process) rather than for a thread. */
static bool may_wake_others(mn_g *g)
{
    uint32_t s = atomic_load(&g->status);
    return s == MN_G_RUNNING || s == MN_G_RUNNABLE || s == MN_G_DEAD ||
           (s == MN_G_WAITING && atomic_load_explicit(&g->wait_reason, memory_order_relaxed) ==
                                        mn_sig_suspend_reason);
}

/* One look at every G: how many may wake the others, and the sum of
 * their park counts (g->parks, counted before a G is WAITING). Two looks
 * that find every G parked and the same sum saw no G wake in between. */
struct look {
    int unparked;
    int gs;
    uint64_t parks;
};

static void look_at_g(mn_g *g, void *arg)
{
    struct look *l = arg;
    if (may_wake_others(g))
        l->unparked++;
    l->gs++;
    l->parks += atomic_load_explicit(&g->parks, memory_order_relaxed);
}

static bool all_parked(struct look *l)
{
    *l = (struct look){0};
    mn_g_foreach(look_at_g, l);
    return l->unparked == 0;
}

/* Whether nothing but a G could wake a parked G: no G waits for I/O or a
 * watched word, no timer is pending or firing, nothing is runnable, no
 * kernel thread is there that is not mnrt's, no handler of the program's
 * could run. */
static bool nothing_else_wakes(void)
{
    /* a G parked on a word that glibc's own code releases (watch.h) is
     * woken by sysmon's look at the word, which nothing else here sees */
    if (atomic_load(&mn_sched.glive) == 0 || atomic_load(&mn_sched.netpoll_waiters) > 0 ||
        mn_watch_active())
        return false;
    int ours = mn_sched.mcount + (mn_sysmon_running() ? 1 : 0);
    if (kernel_threads() != ours || mn_sig_program_handles_any())
        return false;
    if (atomic_load(&mn_sched.npidle) != atomic_load(&mn_sched.procs) ||
        atomic_load(&mn_sched.runqsize))
        return false;
    for (int i = 0; i < mn_sched.nallp; i++)
        if (!mn_runq_empty(&mn_sched.allp[i]->runq) || !mn_timers_idle(&mn_sched.allp[i]->timers))
            return false;
    return true;
}

void mn_deadlock_check(void)
{
    /* the common case, a program idle in its I/O waits, cheaply first */
    if (atomic_load(&mn_sched.netpoll_waiters) > 0 || atomic_load(&mn_sched.glive) == 0)
        return;
    /* Every G parked before and after the reads of nothing_else_wakes,
     * none of them woken in between: the reads saw one state. Without
     * the first look, a G that was in a system call (its M asleep where
     * mnrt does not see, its P taken by sysmon) could start an I/O wait
     * after the reads found none and be seen parked by the look that
     * follows them (tests/programs/deadlock_check_race.c). */
    struct look before, after;
    if (!all_parked(&before) || !nothing_else_wakes() || !all_parked(&after) ||
        after.gs != before.gs || after.parks != before.parks)
        return;
    static const char msg[] = "mnrt: all threads are asleep - deadlock!\n";
    mn_raw_syscall(SYS_write, 2, msg, sizeof msg - 1);
    mn_schedtrace(false);
    mn_dump_write(2, 0, NULL); /* every thread, what it waits for, its stack */
    mn_xtrace_write();
    _exit(2);
}
