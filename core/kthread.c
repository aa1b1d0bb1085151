/* Looking at kernel threads: see kthread.h. */
#include "core/kthread.h"

#include "compat/raw_syscall.h"
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

/* The files of /proc open now (see kthread.h): a few slots (-1: free),
 * the calls of the program that end fds by number under way, and whether
 * an open is. An open and an ending call exclude each other: each
 * announces itself and backs off while the other kind is under way. */
#define PROC_SLOTS 8
static _Atomic int proc_fd[PROC_SLOTS] = {-1, -1, -1, -1, -1, -1, -1, -1};
static _Atomic int enders, openers;

static void back_off(unsigned *spins)
{
    if (++*spins % 64 == 0)
        mn_raw_syscall(SYS_sched_yield); /* the other side may be descheduled */
    else
        mn_cpu_relax();
}

void mn_lowfd_begin(void)
{
    unsigned spins = 0;
    for (;;) {
        atomic_fetch_add(&openers, 1);
        if (atomic_load(&enders) == 0)
            break;
        atomic_fetch_sub(&openers, 1);
        while (atomic_load(&enders) != 0)
            back_off(&spins);
    }
}

void mn_lowfd_end(void)
{
    atomic_fetch_sub(&openers, 1);
}

static int proc_open(const char *path, int *slot)
{
    mn_lowfd_begin();
    int fd = -1;
    for (int i = 0; i < PROC_SLOTS; i++) {
        int free = -1;
        if (atomic_compare_exchange_strong(&proc_fd[i], &free, -2)) { /* taken, no fd yet */
            fd = (int)mn_raw_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
            atomic_store(&proc_fd[i], fd < 0 ? -1 : fd);
            *slot = i;
            break;
        }
    }
    mn_lowfd_end();
    return fd;
}

static void proc_close(int fd, int slot)
{
    mn_raw_syscall(SYS_close, fd);
    atomic_store(&proc_fd[slot], -1); /* after: an ending call waits until it is closed */
}

void mn_fd_end_begin(unsigned lo, unsigned hi)
{
    unsigned spins = 0;
    for (;;) {
        atomic_fetch_add(&enders, 1);
        if (atomic_load(&openers) == 0)
            break;
        atomic_fetch_sub(&enders, 1);
        while (atomic_load(&openers) != 0)
            back_off(&spins);
    }
    for (int i = 0; i < PROC_SLOTS; i++) {
        int fd;
        while ((fd = atomic_load(&proc_fd[i])) >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi)
            back_off(&spins);
    }
}

void mn_fd_end_end(void)
{
    atomic_fetch_sub(&enders, 1);
}

void mn_kthread_fork_child(void)
{
    for (int i = 0; i < PROC_SLOTS; i++) {
        int fd = atomic_exchange(&proc_fd[i], -1);
        if (fd >= 0)
            mn_raw_syscall(SYS_close, fd); /* the parent's sysmon's, which is not here */
    }
    atomic_store(&enders, 0);
    atomic_store(&openers, 0);
}

char mn_kthread_state(pid_t tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    int slot;
    int fd = proc_open(path, &slot);
    if (fd < 0)
        return 0;
    long n = mn_raw_syscall(SYS_read, fd, buf, sizeof buf - 1);
    proc_close(fd, slot);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

bool mn_kthread_syscall(pid_t tid, struct mn_kthread_call *c)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int slot;
    int fd = proc_open(path, &slot);
    if (fd < 0)
        return false;
    long n = mn_raw_syscall(SYS_read, fd, buf, sizeof buf - 1);
    proc_close(fd, slot);
    if (n <= 0)
        return false;
    buf[n] = 0;
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
