/* fork() and the calls that fork: the child of a G runs under M:N
 * (core/fork.h says what the child gets); the child of a thread that is
 * no G (a foreign thread, or any thread when mnrt runs the program
 * natively) runs natively, as does the child of _Fork, which may only
 * make async-signal-safe calls.
 *
 * The order of glibc's fork, with mnrt's steps around it:
 *   1. what the child's runtime needs from the program's malloc (its g0's
 *      TCB, core/fork.h), made before the program's prepare handlers,
 *      which may lock its allocator until its parent and child handlers
 *      unlock it (jemalloc, tcmalloc); and from here to step 6's end, no
 *      new M, whose making allocates (mn_sched_hold_ms);
 *   2. the program's prepare handlers (shim/atfork.c keeps them);
 *   3. mnrt's locks, in their order (docs/lock-order.md): the shim's
 *      (set*id broadcasts, dlopen's TLS scan), the core's (core/fork.h),
 *      the private-mapping table's;
 *   4. glibc's fork: its own locks, the system call, its child work;
 *   5. parent: mnrt's locks released; child: released, then the netpoller
 *      forgotten and the runtime rebuilt around the forking G, allocating
 *      nothing (or, if step 1 failed, one `mnrt:` line and the child runs
 *      natively);
 *   6. the program's parent or child handlers;
 *   7. parent: step 1's parts given back; child: sysmon started (making
 *      its thread allocates).
 * A fork mnrt does not see (glibc's internal ones) still gets a native
 * child: a handler in glibc's own list notices it.
 *
 * The forking G stays on its kernel thread until it parks or traces the
 * child, or yields in step 6 while Ms are held off: a child that asks to
 * be traced (PTRACE_TRACEME, as a debugger's inferior does) has that
 * thread as its tracer, the only one whose ptrace requests the kernel
 * takes (shim/bound.c).
 *
 * vfork() is the kernel's, with mnrt's own steps: shim/vfork.c. */
#include "shim/pthread_impl.h"

#include "compat/real_lookup.h"
#include "core/exectrace.h"
#include "core/fork.h"
#include "core/lowfd.h"
#include "syscalls/poller.h"

#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <pty.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat/backfill.h" /* after the system headers */

/* Forks under way through the calls below: a child that finds none was
 * forked behind mnrt's back. */
static _Atomic int forks_seen;

void mn_fork_child_natively(void)
{
    mn_xtrace_turn_off(); /* a native child records nothing and writes no trace */
    mn_sched.forked_child = true;
    mn_tls_g = NULL;
    mn_waitq_reset();
    mn_lowfd_fork_child(); /* its close() still brackets (core/lowfd.h) */
}

static void runtime_lock(void)
{
    mn_lock_acquire(&mn_setxid_lock);
    mn_lock_acquire(&mn_dlopen_lock);
    mn_fork_prepare();
    mn_lock_acquire(&mn_private_memory_lock);
}

/* The shim's locks; the core's mn_fork_parent/mn_fork_child release
 * their own. */
static void shim_unlock(void)
{
    mn_lock_release(&mn_private_memory_lock);
    mn_lock_release(&mn_dlopen_lock);
    mn_lock_release(&mn_setxid_lock);
}

/* why: NULL, or why the child's g0 could not be made in the parent. */
static void rebuild_child(const struct mn_g0_parts *g0, const char *why)
{
    shim_unlock();
    mn_netpoll_fork_child();
    if (why) {
        mn_fork_parent(); /* the core's locks, released as in the parent */
        mn_warn("fork: %s; the child runs natively, without M:N threads", why);
        mn_fork_child_natively();
        return;
    }
    mn_threads_fork_child();
    mn_fork_child(g0);
}

static pid_t fork_with_handlers(void)
{
    bool runtime = !mn_native() && mn_getg();
    struct mn_g0_parts g0;
    const char *why = runtime ? mn_g0_parts_make(&g0) : NULL;
    bool ms_held = runtime && mn_sched_hold_ms();
    mn_atfork_prepare();
    if (runtime)
        runtime_lock();
    atomic_fetch_add(&forks_seen, 1);
    pid_t pid = mn_real.fork();
    int err = errno;
    atomic_fetch_sub(&forks_seen, 1);
    if (pid == 0) {
        mn_once_fork_child();
        if (runtime)
            rebuild_child(&g0, why);
        else
            mn_fork_child_natively();
    } else {
        if (runtime) {
            mn_fork_parent();
            shim_unlock();
        }
    }
    mn_atfork_finish(pid == 0);
    if (ms_held && !(pid == 0 && why))
        mn_sched_release_ms();
    if (runtime && !why) {
        if (pid == 0)
            mn_fork_child_done();
        else
            mn_g0_parts_free(&g0); /* after the handlers: this frees */
    }
    errno = err;
    return pid;
}

/* In glibc's own list: runs in the child of every fork glibc makes. */
static void fork_unseen_child(void)
{
    if (atomic_load(&forks_seen) != 0)
        return;
    mn_once_fork_child();
    if (!mn_native())
        mn_fork_child_natively();
}

void mn_fork_boot(void)
{
    int (*glibc_register)(void (*)(void), void (*)(void), void (*)(void), void *) =
        mn_real_lookup_next("__register_atfork");
    if (glibc_register)
        glibc_register(NULL, NULL, fork_unseen_child, NULL);
}

MN_EXPORT pid_t fork(void)
{
    return fork_with_handlers();
}

MN_EXPORT pid_t _Fork(void)
{
    static pid_t (*real)(void);
    if (!real)
        real = (pid_t(*)(void))mn_real_lookup_next("_Fork");
    atomic_fetch_add(&forks_seen, 1);
    pid_t pid = real();
    atomic_fetch_sub(&forks_seen, 1);
    if (pid == 0 && !mn_native())
        mn_fork_child_natively();
    return pid;
}

/* clone() of a new process (no CLONE_VM): its fn runs natively. The
 * child's memory is a copy, so `start` on this stack is there too. With
 * CLONE_VM (a thread, or a vfork-like child) nothing changes: a thread is
 * a foreign thread, and a child sharing memory must not touch mnrt's
 * state (signals.h: mn_sig_foreign_process). */
struct process_start {
    int (*fn)(void *);
    void *arg;
};

static int process_entry(void *p)
{
    struct process_start *start = p;
    mn_fork_child_natively();
    return start->fn(start->arg);
}

MN_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    static int (*real)(int (*)(void *), void *, int, void *, ...);
    if (!real)
        real = (int (*)(int (*)(void *), void *, int, void *, ...))mn_real_lookup_next("clone");
    va_list ap;
    va_start(ap, arg); /* glibc's clone reads all three, passed or not */
    pid_t *parent_tid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    pid_t *child_tid = va_arg(ap, pid_t *);
    va_end(ap);
    if (flags & CLONE_VM)
        return real(fn, stack, flags, arg, parent_tid, tls, child_tid);
    struct process_start start = {fn, arg};
    return real(process_entry, stack, flags, &start, parent_tid, tls, child_tid);
}

/* glibc's daemon and forkpty fork inside libc, where mnrt cannot see:
 * these are the same calls on mnrt's fork. */
MN_EXPORT int daemon(int nochdir, int noclose)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    if (!nochdir && chdir("/") != 0)
        return -1;
    if (noclose)
        return 0;
    int fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) {
        close(fd);
        errno = ENODEV; /* as glibc: something else than the null device */
        return -1;
    }
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2)
        close(fd);
    return 0;
}

MN_EXPORT pid_t forkpty(int *amaster, char *name, const struct termios *termp,
                        const struct winsize *winp)
{
    static int (*open_pty)(int *, int *, char *, const struct termios *,
                           const struct winsize *);
    static int (*login_tty_fn)(int);
    if (!open_pty) {
        login_tty_fn = (int (*)(int))dlsym(RTLD_DEFAULT, "login_tty");
        open_pty = (int (*)(int *, int *, char *, const struct termios *,
                            const struct winsize *))dlsym(RTLD_DEFAULT, "openpty");
    }
    int master, slave;
    if (!open_pty || !login_tty_fn) {
        errno = ENOSYS;
        return -1;
    }
    if (open_pty(&master, &slave, name, termp, winp) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(master);
        close(slave);
        return -1;
    }
    if (pid == 0) {
        close(master);
        if (login_tty_fn(slave) != 0)
            _exit(1);
        return 0;
    }
    *amaster = master;
    close(slave);
    return pid;
}
