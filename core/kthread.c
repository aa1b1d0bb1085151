/* Looking at kernel threads: see kthread.h. */
#include "core/kthread.h"

#include "core/runtime.h"
#include "core/futex.h"

#include <fcntl.h>
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
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

bool mn_kthread_syscall(pid_t tid, long *nr, unsigned long args[6])
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return false;
    buf[n] = 0;
    /* "NR ARG1 ... ARG6 SP PC", or "running", or "-1 SP PC" outside one */
    return sscanf(buf, "%ld %lx %lx %lx %lx %lx %lx", nr, &args[0], &args[1], &args[2],
                  &args[3], &args[4], &args[5]) == 7 &&
           *nr >= 0;
}

pid_t mn_kthread_self(void)
{
    mn_g *g = mn_tls_g;
    mn_m *m = g ? g->m : mn_tls_m;
    return m ? m->tid : (pid_t)syscall(SYS_gettid);
}
