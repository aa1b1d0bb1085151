/* Calls that end or make fds, so the fd table (syscalls/pollfd.h) stays
 * true: close (Gs blocked on the fd keep the file, as on Linux), dup2 and
 * dup3 over a watched fd or one of mnrt's own (syscalls/ownfd.h), dup
 * and fcntl's F_DUPFD, fcntl's blocking locks, which hand off the P, and
 * the changes of a file's O_NONBLOCK (fcntl F_SETFL, ioctl FIONBIO),
 * which netio.h caches. close, dup2 and dup3 end an fd by number, so
 * they and mnrt's own short-lived opens exclude each other
 * (core/lowfd.h): a stale close fails with EBADF, as natively. */
#include "shim/fdcall.h"

#include "core/lowfd.h"
#include "syscalls/netio.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>

/* A call that ends the fd at number target, against mnrt's own opens
 * (core/lowfd.h), errno kept. */
static int end_by_number(long nr, long a1, long a2, long a3, int target)
{
    if (mn_native() || target < 0)
        return (int)MN_SYS(nr, a1, a2, a3);
    mn_fd_end_begin((unsigned)target, (unsigned)target);
    int r = (int)MN_SYS(nr, a1, a2, a3);
    int err = errno;
    mn_fd_end_end();
    errno = err;
    return r;
}

MN_EXPORT int close(int fd)
{
    mn_cancel_point(); /* before it closes anything, as glibc's */
    if (!mn_native()) {
        if (mn_fd_is_own(fd)) { /* not the program's: "for (fd = 3; ...) close(fd)" */
            errno = EBADF;
            return -1;
        }
        mn_pollfd_close(fd);
    }
    return end_by_number(SYS_close, fd, 0, 0, fd);
}

MN_EXPORT int dup(int fd)
{
    return mn_fd_made((int)MN_SYS(SYS_dup, fd));
}

/* Before dup2 or dup3 onto newfd: mnrt's own fd there moves away, a
 * watched one is closed as by close(). */
static bool make_room(int newfd)
{
    if (mn_native())
        return true;
    int err = mn_fd_vacate(newfd);
    if (err) {
        errno = err;
        return false;
    }
    mn_pollfd_close(newfd);
    return true;
}

MN_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    if (oldfd != newfd && !make_room(newfd))
        return -1;
    return end_by_number(SYS_dup3, oldfd, newfd, flags, newfd);
}

MN_EXPORT int dup2(int oldfd, int newfd)
{
    if (oldfd == newfd) /* dup2 checks oldfd and does nothing else */
        return MN_SYS(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
    if (!make_room(newfd))
        return -1;
    return end_by_number(SYS_dup2, oldfd, newfd, 0, newfd);
}

static int do_fcntl(int fd, int cmd, void *arg)
{
    switch (cmd) {
    case F_SETLKW:
    case F_OFD_SETLKW:
        if (mn_getg())
            return (int)MN_SYS_CANCELLABLE(SYS_fcntl, fd, cmd, arg);
        break;
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        return mn_fd_made((int)MN_SYS(SYS_fcntl, fd, cmd, arg));
    case F_SETFL: {
        int r = (int)MN_SYS(SYS_fcntl, fd, cmd, arg);
        if (r == 0)
            mn_netio_settings_changed();
        return r;
    }
    }
    return (int)MN_SYS(SYS_fcntl, fd, cmd, arg);
}

MN_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(fd, cmd, arg);
}

MN_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(fd, cmd, arg);
}

/* FIONBIO sets O_NONBLOCK as F_SETFL does. */
MN_EXPORT int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    int r = (int)MN_SYS(SYS_ioctl, fd, request, arg);
    if (r == 0 && request == FIONBIO)
        mn_netio_settings_changed();
    return r;
}
