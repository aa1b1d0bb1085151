/* Inline waits that may be converted: see inline_wait.h. */
#include "core/inline_wait.h"

#include "compat/cancel_bits.h"
#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "core/lowfd.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>

/* The direction of a call on an fd that may wait for it: 0 read, 1 write,
 * -1 not such a call. */
static int io_dir(long nr)
{
    switch (nr) {
    case SYS_read:
    case SYS_readv:
    case SYS_recvfrom:
    case SYS_recvmsg:
    case SYS_accept:
    case SYS_accept4:
        return 0;
    case SYS_write:
    case SYS_writev:
    case SYS_sendto:
    case SYS_sendmsg:
        return 1;
    default:
        return -1;
    }
}

/* Whether a call on fd in dir, interrupted by a handler with SA_RESTART,
 * is restarted by the kernel: a pipe or FIFO always, a socket unless it
 * has a timeout for dir. */
static bool restarts(int fd, int dir)
{
    struct stat st;
    if (mn_raw_syscall(SYS_fstat, fd, &st) != 0)
        return false;
    if (S_ISFIFO(st.st_mode))
        return true;
    if (!S_ISSOCK(st.st_mode))
        return false;
    struct timeval tv;
    socklen_t len = sizeof tv;
    return mn_raw_syscall(SYS_getsockopt, fd, SOL_SOCKET, dir == 0 ? SO_RCVTIMEO : SO_SNDTIMEO,
                          &tv, &len) == 0 &&
           tv.tv_sec == 0 && tv.tv_usec == 0;
}

/* Where glibc's cancellable system calls enter the kernel (inline_wait.h):
 * looked for by sysmon, the one caller of classify, at its first I/O
 * wait; read by Gs converted after that. */
static _Atomic uintptr_t cancel_site;
static bool cancel_site_looked;

struct blocked_reader {
    int fd;
    _Atomic pid_t tid;
};

/* A kernel thread glibc made, blocked in glibc's read until fd has data. */
static void *read_one_byte(void *arg)
{
    struct blocked_reader *r = arg;
    atomic_store(&r->tid, (pid_t)mn_raw_syscall(SYS_gettid));
    char c;
    (void)mn_real.read(r->fd, &c, 1);
    return NULL;
}

/* How often, and how many times, the search looks at the reader in /proc
 * (the reader is in read within microseconds; the bound is for a machine
 * that does not run it for a while). */
#define SEARCH_LOOK_NS 20000
#define SEARCH_LOOKS 25000

uintptr_t mn_inline_wait_find_cancel_site(void)
{
    int fds[2];
    if (!mn_lowfd_pipe_high(fds)) /* not where a stale close of the program's ends it */
        return 0;
    struct blocked_reader r = {.fd = fds[0]};
    uintptr_t site = 0;
    const struct timespec look_interval = {0, SEARCH_LOOK_NS};
    pthread_t t;
    if (mn_real.pthread_create(&t, NULL, read_one_byte, &r) == 0) {
        for (int i = 0; i < SEARCH_LOOKS && !site; i++) {
            pid_t tid = atomic_load(&r.tid);
            struct mn_kthread_call call;
            if (tid && mn_kthread_syscall(tid, &call) && call.nr == SYS_read &&
                call.args[0] == (unsigned long)fds[0])
                site = call.pc - 2;
            else
                mn_raw_syscall(SYS_nanosleep, &look_interval, NULL);
        }
        (void)mn_raw_syscall(SYS_write, fds[1], "", 1);
        mn_real.pthread_join(t, NULL);
    }
    mn_raw_syscall(SYS_close, fds[0]);
    mn_raw_syscall(SYS_close, fds[1]);
    const uint8_t *insn = (const uint8_t *)site;
    return site && insn[0] == 0x0f && insn[1] == 0x05 ? site : 0;
}

/* Whether converted I/O waits can tell a cancellation point: the site is
 * known (looked for the first time). */
static bool cancel_site_known(void)
{
    if (!cancel_site_looked) {
        cancel_site_looked = true;
        uintptr_t site = mn_inline_wait_find_cancel_site();
        atomic_store_explicit(&cancel_site, site, memory_order_release);
        if (!site)
            mn_warn("cannot find where glibc's cancellable system calls enter the kernel: "
                    "reads and writes that glibc makes inline keep their kernel thread");
    }
    return atomic_load_explicit(&cancel_site, memory_order_relaxed) != 0;
}

bool mn_inline_wait_cancel_point(uintptr_t pc, int cancelhandling)
{
    return (cancelhandling & MN_CANCEL_ASYNC) ||
           pc == atomic_load_explicit(&cancel_site, memory_order_acquire);
}

bool mn_inline_wait_classify(const struct mn_kthread_call *call, struct mn_inline_wait *w)
{
    long nr = call->nr;
    const unsigned long *args = call->args;
    w->nr = nr;
    for (int i = 0; i < 4; i++)
        w->args[i] = args[i];
    if (nr == SYS_futex) {
        int op = (int)args[1];
        w->kind = MN_INLINE_FUTEX;
        w->dir = 0;
        return (op == (FUTEX_WAIT | FUTEX_PRIVATE_FLAG) ||
                op == (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)) &&
               args[3] == 0;
    }
    int dir = io_dir(nr);
    w->kind = MN_INLINE_IO;
    w->dir = dir;
    return dir >= 0 && (int)args[0] >= 0 && restarts((int)args[0], dir) && cancel_site_known();
}

bool mn_inline_wait_matches(const struct mn_inline_wait *w, const mcontext_t *ctx)
{
    const uint8_t *pc = (const uint8_t *)(uintptr_t)ctx->gregs[REG_RIP];
    return pc[0] == 0x0f && pc[1] == 0x05 && ctx->gregs[REG_RAX] == w->nr &&
           (unsigned long)ctx->gregs[REG_RDI] == w->args[0] &&
           (unsigned long)ctx->gregs[REG_RSI] == w->args[1] &&
           (unsigned long)ctx->gregs[REG_RDX] == w->args[2] &&
           (unsigned long)ctx->gregs[REG_R10] == w->args[3];
}
