/* Looking at kernel threads: see kthread.h. */
#include "core/kthread.h"

#include "compat/raw_syscall.h"
#include "core/runtime.h"
#include "core/futex.h"
#include "core/lowfd.h"

#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int64_t mn_kthread_cpu_ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        return -1;
    return mn_timespec_ns(&ts);
}

char mn_kthread_state(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    if (!mn_lowfd_read(path, buf, sizeof buf) || !buf[0])
        return 0;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

bool mn_kthread_syscall(pid_t tid, struct mn_kthread_call *c)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    if (!mn_lowfd_read(path, buf, sizeof buf) || !buf[0])
        return false;
    /* "NR ARG1 ... ARG6 SP PC", or "running", or "-1 SP PC" outside one */
    unsigned long *a = c->args, sp, pc;
    if (sscanf(buf, "%ld %lx %lx %lx %lx %lx %lx %lx %lx", &c->nr, &a[0], &a[1], &a[2], &a[3],
               &a[4], &a[5], &sp, &pc) != 9 ||
        c->nr < 0)
        return false;
    c->pc = pc;
    return true;
}

pid_t mn_kthread_self(void)
{
    mn_g *g = mn_tls_g;
    mn_m *m = g ? g->m : mn_tls_m;
    return m ? m->tid : (pid_t)mn_raw_syscall(SYS_gettid);
}
