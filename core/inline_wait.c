/* Inline waits that may be converted: see inline_wait.h. */
#include "core/inline_wait.h"

#include "compat/raw_syscall.h"

#include <linux/futex.h>
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

bool mn_inline_wait_classify(long nr, const unsigned long args[6], struct mn_inline_wait *w)
{
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
    return dir >= 0 && (int)args[0] >= 0 && restarts((int)args[0], dir);
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
