/* setuid() and the rest of the set*id family in a process whose kernel
 * threads run Gs. Credentials belong to each kernel thread; glibc makes
 * every thread change them by signalling the threads on its lists and
 * waiting for a flag its handler clears on THREAD_SELF, which under mnrt
 * is the running G's TCB, not the kernel thread's: glibc would wait forever
 * (docs/glibc-facts.md §5). So mnrt does it itself, as Go's AllThreadsSyscall does: the
 * call is made on the calling kernel thread, then every other kernel thread
 * of the process (from /proc/self/task, io_uring workers excepted) runs it
 * from a handler of glibc's SIGSETXID, which mnrt takes over (glibc no
 * longer uses it: all its setxid entry points are interposed here). If the
 * threads disagree, the process aborts, as glibc's does.
 *
 * Invariants: one broadcast at a time (mn_setxid_lock); a broadcast holds
 * sched.mcreate_lock so that no M is created meanwhile. */
#include "shim/pthread_impl.h"

#include "compat/kernel_sigaction.h"
#include "shim/sys.h"

#include <dirent.h>
#include <stdlib.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SIGSETXID (SIGRTMIN - 1)

static struct {
    long nr;
    long args[3];
    _Atomic int pending;        /* threads that have not answered yet */
    _Atomic int failed;         /* a thread got another result than the caller */
} cmd;

mn_lock mn_setxid_lock = MN_LOCK_INIT(SETXID);

static void on_setxid(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    if (info->si_code != SI_TKILL || info->si_pid != getpid())
        return;
    int saved = errno;
    long r = MN_SYS(cmd.nr, cmd.args[0], cmd.args[1], cmd.args[2]);
    if (r != 0)
        atomic_store(&cmd.failed, 1);
    if (atomic_fetch_sub(&cmd.pending, 1) == 1)
        mn_futex_wake((_Atomic uint32_t *)&cmd.pending, 1, false);
    errno = saved;
}

/* At every broadcast, not once: glibc installs its own when it makes its
 * first thread (2.34+: late_init), which under mnrt may come after a
 * set*id call (shim/create.c: with the program's first thread, or when
 * sysmon or an M is made); its handler on a G's TCB dereferences a
 * command glibc never set (SIGSEGV in every other kernel thread). Those
 * are made by the thread that broadcasts, or after glibc's first thread,
 * so none comes during a broadcast. */
static void install_handler(void)
{
    int r = mn_kernel_sigaction(SIGSETXID, on_setxid, SA_SIGINFO | SA_RESTART, NULL);
    if (r != 0)
        mn_fatal("cannot install a handler for signal %d: %s", SIGSETXID, strerror(-r));
}

static bool is_io_worker(long tid)
{
    char path[64], comm[32] = "";
    snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
    int fd = (int)MN_SYS(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    long n = MN_SYS(SYS_read, fd, comm, sizeof comm - 1);
    MN_SYS(SYS_close, fd);
    return n > 4 && strncmp(comm, "iou-", 4) == 0;
}

/* Signals every other kernel thread of the process (no allocation: this
 * runs with the M-creation lock held). Returns how many were signalled. */
static int signal_other_threads(void)
{
    int fd = (int)MN_SYS(SYS_openat, AT_FDCWD, "/proc/self/task",
                          O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        mn_fatal("cannot list the process's threads for a set*id call");
    pid_t self = (pid_t)MN_SYS(SYS_gettid), pid = getpid();
    int sent = 0;
    char buf[4096];
    long n;
    while ((n = MN_SYS(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct dirent64 *e = (struct dirent64 *)(buf + off);
            off += e->d_reclen;
            long tid = atol(e->d_name);
            if (tid <= 0 || tid == self || is_io_worker(tid))
                continue;
            atomic_fetch_add(&cmd.pending, 1);
            if (MN_SYS(SYS_tgkill, pid, tid, SIGSETXID) == 0)
                sent++;
            else
                atomic_fetch_sub(&cmd.pending, 1); /* it exited meanwhile */
        }
    }
    MN_SYS(SYS_close, fd);
    return sent;
}

/* Runs the system call on every kernel thread; returns its result on the
 * calling one (-1 with errno on failure, nothing broadcast then). */
static long all_threads_syscall(long nr, long a0, long a1, long a2)
{
    if (mn_native()) /* glibc's own mechanism works for native threads */
        return -2;
    install_handler();
    mn_lock_acquire(&mn_setxid_lock);
    mn_lock_acquire(&mn_sched.mcreate_lock);
    long r = MN_SYS(nr, a0, a1, a2);
    if (r == 0) {
        cmd.nr = nr;
        cmd.args[0] = a0;
        cmd.args[1] = a1;
        cmd.args[2] = a2;
        atomic_store(&cmd.failed, 0);
        atomic_store(&cmd.pending, 1); /* ours, until all are signalled */
        signal_other_threads();
        atomic_fetch_sub(&cmd.pending, 1);
        int left;
        while ((left = atomic_load(&cmd.pending)) > 0)
            mn_futex_wait((_Atomic uint32_t *)&cmd.pending, (uint32_t)left, -1, false);
        if (atomic_load(&cmd.failed))
            mn_fatal("a set*id call succeeded on one thread and failed on another");
    }
    mn_lock_release(&mn_sched.mcreate_lock);
    mn_lock_release(&mn_setxid_lock);
    return r;
}

#define SETXID(name, nr, proto, call, a0, a1, a2)                                     \
    MN_EXPORT int name proto                                                          \
    {                                                                                 \
        long res_ = all_threads_syscall(nr, (long)(a0), (long)(a1), (long)(a2));      \
        if (res_ == -2)                                                               \
            return mn_real.name call;                                                 \
        return res_ == 0 ? 0 : -1;                                                    \
    }

SETXID(setuid, SYS_setuid, (uid_t u), (u), u, 0, 0)
SETXID(setgid, SYS_setgid, (gid_t g), (g), g, 0, 0)
SETXID(setreuid, SYS_setreuid, (uid_t r, uid_t e), (r, e), r, e, 0)
SETXID(setregid, SYS_setregid, (gid_t r, gid_t e), (r, e), r, e, 0)
SETXID(setresuid, SYS_setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s), r, e, s)
SETXID(setresgid, SYS_setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s), r, e, s)
SETXID(seteuid, SYS_setresuid, (uid_t e), (e), -1, e, -1)
SETXID(setegid, SYS_setresgid, (gid_t e), (e), -1, e, -1)
SETXID(setgroups, SYS_setgroups, (size_t n, const gid_t *list), (n, list), n, list, 0)

/* glibc's initgroups calls its internal setgroups: build the list here
 * and go through the interposed one. */
MN_EXPORT int initgroups(const char *user, gid_t group)
{
    int n = 64;
    for (;;) {
        gid_t *groups = malloc((size_t)n * sizeof *groups);
        if (!groups) {
            errno = ENOMEM;
            return -1;
        }
        int want = n;
        if (getgrouplist(user, group, groups, &want) >= 0) {
            int r = setgroups((size_t)want, groups);
            free(groups);
            return r;
        }
        free(groups);
        if (want <= n || want > 65536) {
            errno = EINVAL;
            return -1;
        }
        n = want;
    }
}
