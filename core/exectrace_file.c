/* The execution trace's file: see exectrace_file.h. */
#include "core/exectrace_file.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "core/exectrace.h"
#include "core/exectrace_json.h"
#include "core/futex.h"
#include "core/lowfd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define PLACEHOLDER "{\"otherData\":{\"mnrt_trace\":\"recording\",\"pid\":"
#define WAIT_NS (30 * 1000000000ll)

static char base[PATH_MAX];           /* FILE, absolute */
static char path[PATH_MAX + 16];      /* what this process writes: FILE or FILE.PID */
static bool direct;                   /* FILE is no regular file: written as it is */
enum { NOT_YET, WRITING, WRITTEN };
static _Atomic uint32_t state;
static _Atomic long writer;           /* the kernel thread writing the file */
static _Atomic int deferred;          /* a fatal signal that came to the writer meanwhile */

static int open_file(const char *name, int flags)
{
    return (int)mn_raw_syscall(SYS_openat, AT_FDCWD, name, flags | O_WRONLY | O_CLOEXEC, 0644);
}

/* The placeholder of a live process other than this one holds name. */
static bool claimed_by_other(const char *name)
{
    int fd = (int)mn_raw_syscall(SYS_openat, AT_FDCWD, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[sizeof PLACEHOLDER + 16] = {0};
    long n = mn_raw_syscall(SYS_read, fd, buf, sizeof buf - 1);
    mn_raw_syscall(SYS_close, fd);
    if (n <= 0 || strncmp(buf, PLACEHOLDER, strlen(PLACEHOLDER)) != 0)
        return false;
    long pid = strtol(buf + strlen(PLACEHOLDER), NULL, 10);
    if (pid <= 0 || pid == mn_raw_syscall(SYS_getpid))
        return false;
    long r = mn_raw_syscall(SYS_kill, pid, 0);
    return r == 0 || r == -EPERM;
}

/* Writes the placeholder into fd and closes it. */
static void put_placeholder(int fd)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, PLACEHOLDER "%ld},\"traceEvents\":[]}\n",
                     mn_raw_syscall(SYS_getpid));
    mn_raw_syscall(SYS_write, fd, buf, n);
    mn_raw_syscall(SYS_close, fd);
}

static void die_by(int sig, void *uc);

static void name_for_pid(void)
{
    snprintf(path, sizeof path, "%s.%ld", base, mn_raw_syscall(SYS_getpid));
}

const char *mn_xt_file_claim(const char *file)
{
    static char why[128];
    if (!*file)
        return "an empty file name";
    int n;
    if (file[0] == '/') {
        n = snprintf(base, sizeof base, "%s", file);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return "the working directory has no name";
        n = snprintf(base, sizeof base, "%s/%s", cwd, file);
    }
    if (n < 0 || (size_t)n >= sizeof base)
        return "the file name is too long";
    snprintf(path, sizeof path, "%s", base);
    struct stat st;
    direct = stat(base, &st) == 0 && !S_ISREG(st.st_mode);
    if (direct) { /* a device, a pipe: nothing to claim, nothing to rename */
        if (S_ISDIR(st.st_mode))
            return "it is a directory";
        atomic_store(&state, NOT_YET);
        return NULL;
    }
    int fd = open_file(path, O_CREAT | O_EXCL);
    if (fd == -EEXIST) {
        if (claimed_by_other(base)) { /* FILE.PID, made when it is written */
            name_for_pid();
            atomic_store(&state, NOT_YET);
            return NULL;
        }
        fd = open_file(path, O_CREAT | O_TRUNC);
    }
    if (fd < 0) {
        snprintf(why, sizeof why, "cannot create it: %s", strerror(-fd));
        return why;
    }
    put_placeholder(fd);
    atomic_store(&state, NOT_YET);
    return NULL;
}

void mn_xt_file_fork_child(void)
{
    if (!direct)
        name_for_pid();
    atomic_store(&state, NOT_YET);
}

/* Another thread writes the file: wait for it (the process must not end
 * with half of it). Not when the caller is the writer (a signal, a fault
 * that interrupted it). */
static void wait_for_writer(void)
{
    if (atomic_load(&writer) == mn_raw_syscall(SYS_gettid))
        return;
    int64_t deadline = mn_nanotime() + WAIT_NS;
    uint32_t s;
    while ((s = atomic_load(&state)) == WRITING && mn_nanotime() < deadline)
        mn_futex_wait(&state, s, deadline, false);
}

void mn_xtrace_write(void)
{
    if (!mn_xtrace_turn_off()) {
        wait_for_writer();
        return;
    }
    atomic_store(&writer, mn_raw_syscall(SYS_gettid));
    atomic_store(&state, WRITING);
    char part[sizeof path + 8];
    snprintf(part, sizeof part, direct ? "%s" : "%s.part", path);
    /* high: the program's other threads still run, and their closes must
     * not end it (core/lowfd.h) */
    int fd = mn_lowfd_make_high(SYS_openat, AT_FDCWD, (long)part,
                                (direct ? 0 : O_CREAT | O_TRUNC) | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
        mn_warn("cannot write the execution trace to %s: %s", part, strerror(-fd));
    } else {
        struct mn_out o = {.fd = fd};
        struct mn_xt_totals t;
        mn_xt_json_write(&o, &t);
        mn_out_flush(&o);
        mn_raw_syscall(SYS_close, fd);
        long r = o.err ? -o.err : direct ? 0 : mn_raw_syscall(SYS_rename, part, path);
        if (r < 0) {
            mn_warn("cannot write the execution trace to %s: %s", path, strerror((int)-r));
            if (!direct)
                mn_raw_syscall(SYS_unlink, part);
        } else {
            mn_warn("execution trace of pid %ld written to %s: %lld events, %lld dropped",
                    mn_raw_syscall(SYS_getpid), path, (long long)t.events, (long long)t.dropped);
        }
    }
    atomic_store(&state, WRITTEN);
    mn_futex_wake(&state, INT32_MAX, false);
    int sig = atomic_exchange(&deferred, 0);
    if (sig)
        die_by(sig, NULL);
}

/* The signal's default action, as if nobody had caught it: sent again to
 * this thread, where it lands once the handler has returned to uc's mask
 * (without sig), or at once outside a handler (uc NULL). */
static void die_by(int sig, void *uc)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    mn_real.sigaction(sig, &dfl, NULL);
    uint64_t bit = 1ull << (sig - 1);
    if (uc)
        sigdelset(&((ucontext_t *)uc)->uc_sigmask, sig);
    else
        mn_raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &bit, NULL, sizeof bit);
    mn_raw_syscall(SYS_tgkill, mn_raw_syscall(SYS_getpid), mn_raw_syscall(SYS_gettid), sig);
}

bool mn_xtrace_catches(int sig)
{
    return MN_XT_ON() && (sig == SIGINT || sig == SIGTERM || sig == SIGHUP);
}

void mn_xtrace_on_signal(int sig, siginfo_t *info, void *ucv)
{
    (void)info;
    int saved = errno;
    mn_xtrace_write();
    if (atomic_load(&state) == WRITING && atomic_load(&writer) == mn_raw_syscall(SYS_gettid))
        atomic_store(&deferred, sig); /* it interrupted the writer: it dies once done */
    else
        die_by(sig, ucv);
    errno = saved;
}
