/* Sockets for Gs: accept, connect, and the recv and send families go
 * through the try/wait loop (syscalls/netio.h) with blocking semantics:
 * a blocking send sends everything, a MSG_WAITALL receive fills the
 * buffer, connect waits for the handshake and reports SO_ERROR, and
 * SO_RCVTIMEO/SO_SNDTIMEO end a wait with EAGAIN as on Linux. A call with
 * MSG_DONTWAIT, or on a socket the program made non-blocking, behaves as
 * it is. Calls that create fds tell the fd table (a number may have been
 * closed behind mnrt's back and reused). */
#include "shim/fdcall.h"

#include "shim/iov.h"
#include "syscalls/netio.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

MN_EXPORT int socket(int domain, int type, int protocol)
{
    return mn_fd_made((int)MN_SYS(SYS_socket, domain, type, protocol));
}

MN_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
    int r = (int)MN_SYS(SYS_socketpair, domain, type, protocol, sv);
    if (r == 0) {
        mn_fd_made(sv[0]);
        mn_fd_made(sv[1]);
    }
    return r;
}

MN_EXPORT int pipe2(int fds[2], int flags)
{
    int r = (int)MN_SYS(SYS_pipe2, fds, flags);
    if (r == 0) {
        mn_fd_made(fds[0]);
        mn_fd_made(fds[1]);
    }
    return r;
}

MN_EXPORT int pipe(int fds[2])
{
    return pipe2(fds, 0);
}

/* ---- receiving ---- */

/* recvmsg with a blocking call's semantics for a G. */
static ssize_t g_recvmsg(int fd, struct msghdr *msg, int flags)
{
    mn_cancel_point();
    struct mn_netio io;
    if (flags & MSG_DONTWAIT) {
        mn_input_turn(); /* a server's read of its next request, too */
        return MN_SYS(SYS_recvmsg, fd, msg, flags);
    }
    if (!mn_netio_begin(&io, fd, MN_DIR_READ))
        return MN_SYS_FALLBACK(false, SYS_recvmsg, fd, msg, flags);
    struct mn_iovcur cur = {.v = NULL};
    bool waitall = (flags & MSG_WAITALL) && !(flags & MSG_PEEK);
    if (waitall && mn_iovcur_init(&cur, msg->msg_iov, (int)msg->msg_iovlen) != 0) {
        mn_netio_end(&io);
        errno = ENOMEM;
        return -1;
    }
    size_t done = 0;
    ssize_t r;
    for (;;) {
        int f = mn_netio_try(&io);
        struct msghdr m = *msg;
        if (waitall) {
            m.msg_iov = cur.v;
            m.msg_iovlen = (size_t)cur.n;
        }
        r = MN_SYS(SYS_recvmsg, f, &m, flags | MSG_DONTWAIT);
        bool again = mn_netio_again(&io, r);
        if (r >= 0) {
            msg->msg_namelen = m.msg_namelen;
            msg->msg_controllen = m.msg_controllen;
            msg->msg_flags = m.msg_flags;
        }
        if (waitall && r > 0) { /* MSG_WAITALL: until full, end of stream or error */
            done += (size_t)r;
            mn_iovcur_advance(&cur, (size_t)r);
            if (cur.n == 0)
                break;
            continue;
        }
        if (!again)
            break;
    }
    if (waitall)
        mn_iovcur_free(&cur);
    mn_netio_end(&io);
    return done > 0 ? (ssize_t)done : r;
}

MN_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    return g_recvmsg(fd, msg, flags);
}

MN_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *addr,
                           socklen_t *addrlen)
{
    if (!mn_getg())
        return MN_SYS(SYS_recvfrom, fd, buf, n, flags, addr, addrlen);
    struct iovec v = {buf, n};
    struct msghdr m = {.msg_name = addr, .msg_namelen = addrlen ? *addrlen : 0,
                       .msg_iov = &v, .msg_iovlen = 1};
    ssize_t r = g_recvmsg(fd, &m, flags);
    if (r >= 0 && addrlen)
        *addrlen = m.msg_namelen;
    return r;
}

MN_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    return recvfrom(fd, buf, n, flags, NULL, NULL);
}

MN_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    if (n > buflen)
        __chk_fail();
    return recv(fd, buf, n, flags);
}

MN_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                                 struct sockaddr *addr, socklen_t *addrlen)
{
    if (n > buflen)
        __chk_fail();
    return recvfrom(fd, buf, n, flags, addr, addrlen);
}

/* recvmmsg: waits for the first message like a blocking call, then
 * returns what is there (the kernel's MSG_WAITFORONE behaviour). */
MN_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
                       struct timespec *timeout)
{
    struct mn_netio io;
    if ((flags & MSG_DONTWAIT) || timeout || !mn_netio_begin(&io, fd, MN_DIR_READ))
        return (int)MN_SYS_FALLBACK(flags & MSG_DONTWAIT, SYS_recvmmsg, fd, vec, vlen, flags,
                                    timeout);
    int r;
    for (;;) {
        int f = mn_netio_try(&io);
        r = (int)MN_SYS(SYS_recvmmsg, f, vec, vlen, flags | MSG_DONTWAIT, NULL);
        if (!mn_netio_again(&io, r))
            break;
    }
    mn_netio_end(&io);
    return r;
}

/* ---- sending ---- */

static ssize_t g_sendmsg(int fd, const struct msghdr *msg, int flags)
{
    mn_cancel_point();
    struct mn_netio io;
    if ((flags & MSG_DONTWAIT) || !mn_netio_begin(&io, fd, MN_DIR_WRITE))
        return MN_SYS_FALLBACK(flags & MSG_DONTWAIT, SYS_sendmsg, fd, msg, flags);
    struct mn_iovcur cur;
    if (mn_iovcur_init(&cur, msg->msg_iov, (int)msg->msg_iovlen) != 0) {
        mn_netio_end(&io);
        errno = ENOMEM;
        return -1;
    }
    size_t done = 0;
    ssize_t r;
    for (;;) {
        int f = mn_netio_try(&io);
        struct msghdr m = *msg;
        m.msg_iov = cur.v;
        m.msg_iovlen = (size_t)cur.n;
        if (done > 0) { /* ancillary data goes with the first part only */
            m.msg_control = NULL;
            m.msg_controllen = 0;
        }
        r = MN_SYS(SYS_sendmsg, f, &m, flags | MSG_DONTWAIT);
        bool again = mn_netio_again(&io, r);
        if (r > 0) { /* a blocking send sends it all (streams only ever split) */
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
    return done > 0 ? (ssize_t)done : r;
}

MN_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    return g_sendmsg(fd, msg, flags);
}

MN_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
                         const struct sockaddr *addr, socklen_t addrlen)
{
    if (!mn_getg())
        return MN_SYS(SYS_sendto, fd, buf, n, flags, addr, addrlen);
    struct iovec v = {(void *)buf, n};
    struct msghdr m = {.msg_name = (void *)addr, .msg_namelen = addrlen, .msg_iov = &v,
                       .msg_iovlen = 1};
    return g_sendmsg(fd, &m, flags);
}

MN_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    return sendto(fd, buf, n, flags, NULL, 0);
}

MN_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
    struct mn_netio io;
    if ((flags & MSG_DONTWAIT) || !mn_netio_begin(&io, fd, MN_DIR_WRITE))
        return (int)MN_SYS_FALLBACK(flags & MSG_DONTWAIT, SYS_sendmmsg, fd, vec, vlen, flags);
    int r;
    for (;;) {
        int f = mn_netio_try(&io);
        r = (int)MN_SYS(SYS_sendmmsg, f, vec, vlen, flags | MSG_DONTWAIT);
        if (!mn_netio_again(&io, r))
            break;
    }
    mn_netio_end(&io);
    return r;
}

/* ---- connections ---- */

/* accept has no non-blocking form per call: wait until the listener is
 * readable, then accept with the P detachable (another thread may have
 * taken the connection: then the call blocks as it would natively). */
MN_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    mn_cancel_point();
    struct mn_netio io;
    if (mn_getg() && mn_fd_kind(fd) == MN_FD_SOCKET && mn_netio_begin(&io, fd, MN_DIR_READ)) {
        /* a connection already waiting is taken at once; otherwise wait */
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        struct timespec zero = {0, 0};
        int r = 0;
        io.reason = "accept";
        if (!mn_netio_nonblocking(&io)) {
            do { /* the listener may be the hidden duplicate by now (below) */
                mn_netio_look(&io);
                pf.fd = mn_netio_fd(&io);
            } while (MN_SYS(SYS_ppoll, &pf, 1, &zero, NULL, 8) == 0 && !(r = mn_netio_wait(&io)));
        }
        /* still a user of the fd: if another thread closed it meanwhile,
         * the accept goes to the hidden duplicate that keeps the listener
         * open, as the blocked accept keeps it natively */
        int res = -1;
        if (r)
            errno = r; /* EAGAIN: SO_RCVTIMEO passed; EINTR */
        else
            res = mn_fd_made(MN_BLOCKING(
                (int)MN_SYS(SYS_accept4, mn_netio_fd(&io), addr, len, flags)));
        mn_netio_end(&io);
        return res;
    }
    return mn_fd_made((int)MN_SYS_FALLBACK(false, SYS_accept4, fd, addr, len, flags));
}

MN_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return accept4(fd, addr, len, 0);
}

/* connect with O_NONBLOCK set for the call only (fl: the file's flags);
 * a concurrent reader of the settings cache may have seen the flag. */
static int connect_nonblocking(int fd, const struct sockaddr *addr, socklen_t len, long fl)
{
    MN_SYS(SYS_fcntl, fd, F_SETFL, fl | O_NONBLOCK);
    int r = (int)MN_SYS(SYS_connect, fd, addr, len);
    int err = errno;
    MN_SYS(SYS_fcntl, fd, F_SETFL, fl);
    mn_netio_settings_changed();
    errno = err;
    return r;
}

/* connect's result once started: waits while a Unix socket's backlog is
 * full, then while the connection is under way (up to SO_SNDTIMEO). */
static int connect_outcome(struct mn_netio *io, int fd, const struct sockaddr *addr,
                           socklen_t len, long fl)
{
    mn_netio_look(io);
    int r = connect_nonblocking(fd, addr, len, fl);
    int err = errno;
    while (r < 0 && err == EAGAIN) { /* a Unix socket with a full backlog */
        int w = mn_netio_wait(io);
        if (w) {
            errno = w; /* EAGAIN, EINTR */
            return -1;
        }
        mn_netio_look(io);
        r = connect_nonblocking(fd, addr, len, fl);
        err = errno;
    }
    if (r == 0 || err != EINPROGRESS) {
        errno = err;
        return r;
    }
    for (;;) {
        int w = mn_netio_wait(io);
        if (w) { /* SO_SNDTIMEO passed (reported so by the kernel), or EINTR */
            errno = w == EAGAIN ? EINPROGRESS : EINTR;
            return -1;
        }
        mn_netio_look(io);
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (MN_SYS(SYS_getsockopt, fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
            return -1;
        if (soerr) {
            errno = soerr;
            return -1;
        }
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        if (MN_SYS(SYS_getpeername, fd, &peer, &pl) == 0)
            return 0;
        if (errno != ENOTCONN)
            return -1; /* still connecting otherwise: a spurious wake-up */
    }
}

/* A blocking connect: started non-blocking, then the G waits for
 * writability (up to SO_SNDTIMEO) and reports the outcome from SO_ERROR,
 * as the kernel's blocking connect would. */
MN_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    mn_cancel_point();
    long fl;
    struct mn_netio io;
    if (!mn_getg() || mn_fd_kind(fd) != MN_FD_SOCKET ||
        (fl = MN_SYS(SYS_fcntl, fd, F_GETFL)) < 0 || (fl & O_NONBLOCK) ||
        !mn_netio_begin(&io, fd, MN_DIR_WRITE))
        return (int)MN_SYS_FALLBACK(false, SYS_connect, fd, addr, len);
    io.reason = "connect";
    int r = connect_outcome(&io, fd, addr, len, fl);
    mn_netio_end(&io);
    return r;
}

/* The socket timeouts are cached by netio.h. */
MN_EXPORT int setsockopt(int fd, int level, int opt, const void *val, socklen_t len)
{
    int r = (int)MN_SYS(SYS_setsockopt, fd, level, opt, val, len);
    if (r == 0 && level == SOL_SOCKET &&
        (opt == SO_RCVTIMEO_OLD || opt == SO_SNDTIMEO_OLD || opt == SO_RCVTIMEO_NEW ||
         opt == SO_SNDTIMEO_NEW))
        mn_netio_settings_changed();
    return r;
}
