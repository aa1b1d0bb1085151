/* Deadlock detection: see deadlock.h. */
#include "core/deadlock.h"

#include "compat/raw_syscall.h"
#include "core/dump.h"
#include "core/exectrace_file.h"

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
    int fd = (int)mn_raw_syscall(SYS_openat, AT_FDCWD, "/proc/self/task",
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
    mn_raw_syscall(SYS_close, fd);
    return n;
}

/* Gs that may yet wake the others: running or runnable, or finishing
 * (its exit wakes its joiner); and one in sigsuspend or pause, which
 * waits for a signal by design (to be killed, as natively, or one from
 * another process) rather than for a thread. */
static void count_unparked(mn_g *g, void *arg)
{
    uint32_t s = atomic_load(&g->status);
    if (s == MN_G_RUNNING || s == MN_G_RUNNABLE || s == MN_G_DEAD ||
        (s == MN_G_WAITING && g->wait_reason == mn_sig_suspend_reason))
        (*(int *)arg)++;
}

void mn_deadlock_check(void)
{
    /* a G parked on a word that glibc's own code releases (watch.h) is
     * woken by sysmon's look at the word, which nothing else here sees */
    if (atomic_load(&mn_sched.glive) == 0 || atomic_load(&mn_sched.netpoll_waiters) > 0 ||
        mn_watch_active())
        return;
    int ours = mn_sched.mcount + (mn_sysmon_running() ? 1 : 0);
    if (kernel_threads() != ours || mn_sig_program_handles_any())
        return;
    /* Still nothing to run? (a G may have become runnable meanwhile) */
    if (atomic_load(&mn_sched.npidle) != atomic_load(&mn_sched.procs) ||
        atomic_load(&mn_sched.runqsize))
        return;
    for (int i = 0; i < mn_sched.nallp; i++)
        if (!mn_runq_empty(&mn_sched.allp[i]->runq) || !mn_timers_idle(&mn_sched.allp[i]->timers))
            return;
    /* A G still running (its M blocked where mnrt cannot see, its P taken
     * by sysmon) may yet wake the others; so may a signal a G waits for. */
    int unparked = 0;
    mn_g_foreach(count_unparked, &unparked);
    if (unparked)
        return;
    static const char msg[] = "mnrt: all threads are asleep - deadlock!\n";
    mn_raw_syscall(SYS_write, 2, msg, sizeof msg - 1);
    mn_schedtrace(false);
    mn_dump_write(2, 0, NULL); /* every thread, what it waits for, its stack */
    mn_xtrace_write();
    _exit(2);
}
