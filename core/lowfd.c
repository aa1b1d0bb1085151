/* mnrt's own fds against the program's stale closes: see lowfd.h. */
#include "core/lowfd.h"

#include "compat/raw_syscall.h"
#include "core/lock.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>

/* Where mnrt's own fds and hidden duplicates go: high up, out of the way
 * of the numbers the program gets, below the soft limit and below 1,024.
 * A process's fd table is as long as its highest fd, so near a soft limit
 * of 1,048,576, as containers set it, it would take 8 MiB (it was placed
 * there until 2026-12-06). */
#define OWN_FD_TOP 1024

/* The files mn_lowfd_open has open: a few slots (-1 free, -2 taken by an
 * open under way). More at once than slots (sysmon, a dump, a foreign
 * caller) wait for one. */
#define SLOTS 8
static _Atomic int slot_fd[SLOTS] = {-1, -1, -1, -1, -1, -1, -1, -1};
/* brackets under way on each side */
static _Atomic int enders, openers;

static void back_off(unsigned *spins)
{
    if (++*spins % 64 == 0)
        mn_raw_syscall(SYS_sched_yield); /* the other side may be descheduled */
    else
        mn_cpu_relax();
}

/* Brackets of either side the calling thread is inside. */
static __thread int sides_here;

/* Enters *mine's side once *theirs has none under way. Until its end
 * (leave_side), the calling thread's signal handlers are held off, as
 * inside an mnrt lock: one that left by a jump skipped the end, and the
 * other side then waited for ever (sysmon, at its next look in /proc);
 * and one that entered the other side waited for its own thread. mnrt's
 * own handlers still run (the execution trace written from a fatal
 * signal's handler, a thread dump made by the SIGQUIT handler before
 * sysmon runs): inside a bracket of their thread they enter without
 * waiting, since what they open is closed or moved high before they
 * return, so the interrupted close cannot end it. */
static void enter_side(_Atomic int *mine, _Atomic int *theirs, unsigned *spins)
{
    mn_lock_count(1);
    atomic_signal_fence(memory_order_seq_cst);
    if (sides_here > 0) {
        sides_here++;
        atomic_fetch_add(mine, 1);
        return;
    }
    for (;;) {
        atomic_fetch_add(mine, 1);
        if (atomic_load(theirs) == 0) {
            sides_here++;
            return;
        }
        atomic_fetch_sub(mine, 1);
        while (atomic_load(theirs) != 0)
            back_off(spins);
    }
}

static void leave_side(_Atomic int *mine)
{
    sides_here--;
    atomic_fetch_sub(mine, 1);
    mn_lock_uncount();
}

void mn_lowfd_begin(void)
{
    unsigned spins = 0;
    enter_side(&openers, &enders, &spins);
}

void mn_lowfd_end(void)
{
    leave_side(&openers);
}

int mn_lowfd_open(const char *path, int flags)
{
    unsigned spins = 0;
    for (;;) {
        for (int i = 0; i < SLOTS; i++) {
            int free = -1;
            if (!atomic_compare_exchange_strong(&slot_fd[i], &free, -2))
                continue;
            mn_lowfd_begin();
            int fd = (int)mn_raw_syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC);
            atomic_store(&slot_fd[i], fd < 0 ? -1 : fd);
            mn_lowfd_end();
            return fd < 0 ? -1 : fd;
        }
        back_off(&spins);
    }
}

void mn_lowfd_close(int fd)
{
    mn_raw_syscall(SYS_close, fd);
    for (int i = 0; i < SLOTS; i++) {
        int mine = fd;
        if (atomic_compare_exchange_strong(&slot_fd[i], &mine, -1))
            return; /* after the close: an ender of fd waits until now */
    }
}

bool mn_lowfd_read(const char *path, char *buf, size_t len)
{
    int fd = mn_lowfd_open(path, O_RDONLY);
    if (fd < 0)
        return false;
    size_t n = 0;
    long r;
    while (n < len - 1 && (r = mn_raw_syscall(SYS_read, fd, buf + n, len - 1 - n)) > 0)
        n += (size_t)r;
    mn_lowfd_close(fd);
    buf[n] = 0;
    return true;
}

bool mn_lowfd_each_line(const char *path, bool (*fn)(char *line, void *arg), void *arg)
{
    int fd = mn_lowfd_open(path, O_RDONLY);
    if (fd < 0)
        return false;
    char buf[MN_LOWFD_LINE];
    size_t have = 0;
    bool skipping = false, done = false;
    long r = 1;
    while (!done && r > 0) {
        r = mn_raw_syscall(SYS_read, fd, buf + have, sizeof buf - 1 - have);
        if (r > 0)
            have += (size_t)r;
        else if (have && !skipping) /* a last line without its newline */
            buf[have++] = '\n';
        char *line = buf, *nl;
        while (!done && (nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
            *nl = 0;
            if (!skipping)
                done = fn(line, arg);
            skipping = false;
            line = nl + 1;
        }
        have -= (size_t)(line - buf);
        memmove(buf, line, have);
        if (have == sizeof buf - 1) { /* a line too long: skip to its end */
            have = 0;
            skipping = true;
        }
    }
    mn_lowfd_close(fd);
    return done;
}

int mn_lowfd_make_high(long nr, long a1, long a2, long a3, long a4)
{
    mn_lowfd_begin();
    int low = (int)mn_raw_syscall(nr, a1, a2, a3, a4);
    int high = low < 0 ? low : mn_fd_dup_high(low);
    if (low >= 0)
        mn_raw_syscall(SYS_close, low);
    mn_lowfd_end();
    return high;
}

static int own_fd_base(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur <= 256)
        return 3;
    return (int)(rl.rlim_cur < OWN_FD_TOP ? rl.rlim_cur : OWN_FD_TOP) - 64;
}

int mn_fd_dup_high(int fd)
{
    int high = (int)mn_raw_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, own_fd_base());
    if (high < 0)
        high = (int)mn_raw_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
    return high;
}

bool mn_lowfd_pipe_high(int fds[2])
{
    int low[2];
    mn_lowfd_begin();
    bool ok = mn_raw_syscall(SYS_pipe2, low, O_CLOEXEC) == 0;
    if (ok) {
        for (int i = 0; i < 2; i++) {
            fds[i] = mn_fd_dup_high(low[i]);
            mn_raw_syscall(SYS_close, low[i]);
        }
        if (fds[0] < 0 || fds[1] < 0) {
            for (int i = 0; i < 2; i++)
                if (fds[i] >= 0)
                    mn_raw_syscall(SYS_close, fds[i]);
            ok = false;
        }
    }
    mn_lowfd_end();
    return ok;
}

void mn_fd_end_begin(unsigned lo, unsigned hi)
{
    unsigned spins = 0;
    enter_side(&enders, &openers, &spins);
    for (int i = 0; i < SLOTS; i++) {
        int fd;
        while ((fd = atomic_load(&slot_fd[i])) >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi)
            back_off(&spins);
    }
}

void mn_fd_end_end(void)
{
    leave_side(&enders);
}

void mn_lowfd_fork_child(void)
{
    for (int i = 0; i < SLOTS; i++) {
        int fd = atomic_exchange(&slot_fd[i], -1);
        if (fd >= 0)
            mn_raw_syscall(SYS_close, fd);
    }
    atomic_store(&enders, 0);
    atomic_store(&openers, 0);
}
