/* The try / wait / try-again loop: see netio.h. */
#include "syscalls/netio.h"

#include "compat/raw_syscall.h"
#include "core/futex.h"
#include "core/runtime.h"

#include <errno.h>
#include <fcntl.h>
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
    io->pd = mn_pollfd_get(fd);
    if (!io->pd)
        return false;
    io->dir = dir;
    io->deadline_known = false;
    io->in_op = false;
    return true;
}

int mn_netio_try(struct mn_netio *io)
{
    io->seq = mn_pollfd_seq(io->pd, io->dir);
    io->in_op = true;
    return mn_pollfd_begin_op(io->pd);
}

/* SO_RCVTIMEO / SO_SNDTIMEO of a socket, as a deadline from now. */
static int64_t socket_deadline(int fd, int dir)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    if (mn_raw_syscall(SYS_getsockopt, fd, SOL_SOCKET,
                       dir == MN_DIR_READ ? SO_RCVTIMEO : SO_SNDTIMEO, &tv, &len) != 0 ||
        (tv.tv_sec == 0 && tv.tv_usec == 0))
        return -1;
    return mn_nanotime() + (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

static bool program_nonblocking(int fd)
{
    long fl = mn_raw_syscall(SYS_fcntl, fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

static int wait_for(struct mn_netio *io, int fd)
{
    if (!io->deadline_known) {
        io->deadline = io->pd->kind == MN_FD_SOCKET ? socket_deadline(fd, io->dir) : -1;
        io->deadline_known = true;
    }
    return mn_pollfd_wait(io->pd, io->dir, io->seq, io->deadline);
}

bool mn_netio_again(struct mn_netio *io, ssize_t r)
{
    int err = errno;
    int fd = atomic_load(&io->pd->fd);
    if (io->in_op) {
        mn_pollfd_end_op(io->pd);
        io->in_op = false;
    }
    if (r >= 0 || (err != EAGAIN && err != EWOULDBLOCK))
        return false;
    if (program_nonblocking(fd) || wait_for(io, fd) == ETIMEDOUT) {
        errno = EAGAIN;
        return false;
    }
    mn_check_preempt();
    return true;
}

bool mn_netio_nonblocking(struct mn_netio *io)
{
    return program_nonblocking(atomic_load(&io->pd->fd));
}

void mn_netio_end(struct mn_netio *io)
{
    int err = errno;
    mn_pollfd_put(io->pd);
    errno = err;
}

int mn_netio_wait_ready(int fd, int dir)
{
    struct mn_netio io;
    if (!mn_netio_begin(&io, fd, dir))
        return 0;
    io.seq = mn_pollfd_seq(io.pd, dir);
    int r = wait_for(&io, fd) == ETIMEDOUT ? EAGAIN : 0;
    mn_netio_end(&io);
    return r;
}
