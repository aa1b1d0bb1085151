/* The try / wait / try-again loop: see netio.h. */
#include "syscalls/netio.h"

#include "compat/raw_syscall.h"
#include "core/futex.h"
#include "core/runtime.h"
#include "core/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

bool mn_netio_begin(struct mn_netio *io, int fd, int dir)
{
    if (!mn_getg())
        return false;
    enum mn_fdkind kind = mn_fd_kind(fd);
    if (kind != MN_FD_SOCKET && kind != MN_FD_PIPE)
        return false;
    if (dir == MN_DIR_READ)
        mn_input_turn();
    io->pd = mn_pollfd_get(fd);
    if (!io->pd)
        return false;
    io->dir = dir;
    io->deadline_known = false;
    io->in_op = false;
    io->reason = NULL;
    return true;
}

int mn_netio_try(struct mn_netio *io)
{
    io->seq = mn_pollfd_seq(io->pd, io->dir);
    io->in_op = true;
    return mn_pollfd_begin_op(io->pd);
}

/* Bumped after every change the program makes to a file's settings. */
static _Atomic uint64_t settings_epoch = 1;

void mn_netio_settings_changed(void)
{
    atomic_fetch_add_explicit(&settings_epoch, 1, memory_order_release);
}

static int64_t socket_timeout_ns(int fd, int dir)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    if (mn_raw_syscall(SYS_getsockopt, fd, SOL_SOCKET,
                       dir == MN_DIR_READ ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, &len) != 0)
        return 0;
    return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

/* pd's settings, read from the kernel only when the cached ones are from
 * an older epoch. The epoch is read before the kernel is asked, so a
 * change that races with the reading leaves the cache stale, never wrong. */
static struct mn_fd_settings settings(struct mn_pollfd *pd)
{
    uint64_t epoch = atomic_load_explicit(&settings_epoch, memory_order_acquire);
    mn_lock_acquire(&pd->lock);
    bool fresh = pd->settings_epoch == epoch;
    struct mn_fd_settings s = pd->settings;
    mn_lock_release(&pd->lock);
    if (fresh)
        return s;
    int fd = atomic_load(&pd->fd);
    long fl = mn_raw_syscall(SYS_fcntl, fd, F_GETFL);
    s.nonblock = fl >= 0 && (fl & O_NONBLOCK);
    for (int dir = 0; dir < 2; dir++)
        s.timeout_ns[dir] = pd->kind == MN_FD_SOCKET ? socket_timeout_ns(fd, dir) : 0;
    mn_lock_acquire(&pd->lock);
    pd->settings = s;
    pd->settings_epoch = epoch;
    mn_lock_release(&pd->lock);
    return s;
}

/* Waits from io->seq; the call's deadline comes from the socket timeout in
 * st (or read here if NULL) the first time. 0, ETIMEDOUT, or EINTR when a
 * handler ran and the call fails: always with a socket timeout, else
 * unless every handler had SA_RESTART (0 then: the call goes on). */
static int wait_for(struct mn_netio *io, const struct mn_fd_settings *st)
{
    if (!io->deadline_known) {
        int64_t t = (st ? *st : settings(io->pd)).timeout_ns[io->dir];
        io->deadline = t > 0 ? mn_nanotime() + t : -1;
        io->deadline_known = true;
    }
    int r = mn_pollfd_wait_for(io->pd, io->dir, io->seq, io->deadline, io->reason);
    if (r == EINTR && !mn_sig_should_fail(io->deadline < 0))
        r = 0;
    return r;
}

bool mn_netio_again(struct mn_netio *io, ssize_t r)
{
    int err = errno;
    if (io->in_op) {
        mn_pollfd_end_op(io->pd);
        io->in_op = false;
    }
    if (r >= 0 || (err != EAGAIN && err != EWOULDBLOCK))
        return false;
    struct mn_fd_settings st = settings(io->pd);
    int w = st.nonblock ? ETIMEDOUT : wait_for(io, &st);
    if (w) {
        errno = w == EINTR ? EINTR : EAGAIN;
        return false;
    }
    mn_check_preempt();
    return true;
}

bool mn_netio_nonblocking(struct mn_netio *io)
{
    return settings(io->pd).nonblock;
}

void mn_netio_end(struct mn_netio *io)
{
    int err = errno;
    mn_pollfd_put(io->pd);
    mn_check_preempt(); /* also where a loop of calls never waits */
    errno = err;
}

void mn_netio_look(struct mn_netio *io)
{
    io->seq = mn_pollfd_seq(io->pd, io->dir);
}

int mn_netio_wait(struct mn_netio *io)
{
    int r = wait_for(io, NULL);
    return r == ETIMEDOUT ? EAGAIN : r;
}

int mn_netio_inline_wait(int fd, int dir, bool cancel_point)
{
    struct mn_netio io;
    if (!mn_netio_begin(&io, fd, dir))
        return 0;
    /* the sequence before the look: a notification after it is not lost */
    uint32_t seq = mn_pollfd_seq(io.pd, dir);
    struct pollfd p = {fd, dir == MN_DIR_READ ? POLLIN : POLLOUT, 0};
    int r = 0;
    if (mn_raw_syscall(SYS_poll, &p, 1, 0) == 0)
        r = mn_pollfd_wait_inline(io.pd, dir, seq, cancel_point);
    if (r == EINTR)
        r = (cancel_point ? mn_sig_should_fail(true) : mn_sig_handlers_fail(true)) ? EINTR : 0;
    mn_netio_end(&io);
    return r;
}
