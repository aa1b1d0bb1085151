/* read, write, readv, writev (and their fortified and positional
 * variants) for Gs: sockets and pipes go through the try/wait loop of
 * syscalls/netio.h, with a blocking call's semantics (a blocking write
 * writes everything; a blocking read returns what is there, at least one
 * byte); other files block with the P handed off (docs/design.md §8 kind 2).
 * Foreign threads make the plain system call. */
#include "shim/fdcall.h"

#include "shim/iov.h"
#include "syscalls/netio.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* One non-blocking attempt for the fd's kind. */
static ssize_t try_readv(int fd, enum mn_fdkind kind, const struct iovec *iov, int cnt)
{
    if (kind == MN_FD_SOCKET) {
        struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt};
        return MN_SYS(SYS_recvmsg, fd, &m, MSG_DONTWAIT);
    }
    return preadv2(fd, iov, cnt, -1, RWF_NOWAIT);
}

static ssize_t try_writev(int fd, enum mn_fdkind kind, const struct iovec *iov, int cnt)
{
    if (kind == MN_FD_SOCKET) {
        struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)cnt};
        return MN_SYS(SYS_sendmsg, fd, &m, MSG_DONTWAIT);
    }
    return pwritev2(fd, iov, cnt, -1, RWF_NOWAIT);
}

/* The fd is not the kind the table thought (closed behind mnrt's back and
 * reused): forget it and do the call the plain way. */
static bool stale_kind(int fd, ssize_t r)
{
    if (r >= 0 || (errno != ENOTSOCK && errno != EOPNOTSUPP && errno != ESPIPE))
        return false;
    mn_fd_forget(fd);
    return true;
}

/* The plain system call for iov, as read(2)/write(2) when it is one buffer;
 * a G's may block (a tty, a device), a foreign thread's is plain. */
static ssize_t plain_rw(long nr1, long nrv, int fd, const struct iovec *iov, int cnt)
{
    if (cnt == 1)
        return MN_SYS_FALLBACK(false, nr1, fd, iov[0].iov_base, iov[0].iov_len);
    return MN_SYS_FALLBACK(false, nrv, fd, iov, cnt);
}

static ssize_t io_readv(int fd, const struct iovec *iov, int cnt)
{
    mn_cancel_point();
    struct mn_netio io;
    if (!mn_netio_begin(&io, fd, MN_DIR_READ)) {
        return plain_rw(SYS_read, SYS_readv, fd, iov, cnt);
    }
    ssize_t r;
    for (;;) {
        int f = mn_netio_try(&io);
        r = try_readv(f, mn_netio_kind(&io), iov, cnt);
        if (!mn_netio_again(&io, r))
            break;
    }
    mn_netio_end(&io);
    if (stale_kind(fd, r))
        return plain_rw(SYS_read, SYS_readv, fd, iov, cnt);
    return r;
}

static ssize_t io_writev(int fd, const struct iovec *iov, int cnt)
{
    mn_cancel_point();
    struct mn_netio io;
    if (!mn_netio_begin(&io, fd, MN_DIR_WRITE)) {
        return plain_rw(SYS_write, SYS_writev, fd, iov, cnt);
    }
    struct mn_iovcur cur;
    if (mn_iovcur_init(&cur, iov, cnt) != 0) {
        mn_netio_end(&io);
        errno = ENOMEM;
        return -1;
    }
    size_t done = 0;
    ssize_t r;
    for (;;) {
        int f = mn_netio_try(&io);
        r = try_writev(f, mn_netio_kind(&io), cur.v, cur.n);
        bool again = mn_netio_again(&io, r);
        if (r > 0) { /* a blocking write writes it all */
            done += (size_t)r;
            mn_iovcur_advance(&cur, (size_t)r);
            if (cur.n == 0 || mn_netio_nonblocking(&io))
                break;
        } else if (!again) {
            break;
        }
    }
    mn_iovcur_free(&cur);
    mn_netio_end(&io);
    if (done > 0)
        return (ssize_t)done; /* an error after progress shows on the next call */
    if (stale_kind(fd, r))
        return plain_rw(SYS_write, SYS_writev, fd, iov, cnt);
    return r;
}

MN_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    if (!mn_getg())
        return MN_SYS(SYS_read, fd, buf, n);
    struct iovec v = {buf, n};
    return io_readv(fd, &v, 1);
}

MN_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    if (!mn_getg())
        return MN_SYS(SYS_write, fd, buf, n);
    struct iovec v = {(void *)buf, n};
    return io_writev(fd, &v, 1);
}

MN_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    return io_readv(fd, iov, cnt);
}

MN_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    return io_writev(fd, iov, cnt);
}

MN_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    if (n > buflen)
        __chk_fail();
    return read(fd, buf, n);
}

/* Positional I/O: regular files and devices only (sockets and pipes give
 * ESPIPE): the P is handed off while it blocks. */
MN_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
    return MN_SYS_CANCELLABLE(SYS_pread64, fd, buf, n, off);
}

MN_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return MN_SYS_CANCELLABLE(SYS_pwrite64, fd, buf, n, off);
}

MN_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
    if (n > buflen)
        __chk_fail();
    return pread(fd, buf, n, off);
}
