/* Calls that end or make fds, so the fd table (syscalls/pollfd.h) stays
 * true: close (Gs blocked on the fd keep the file, as on Linux), dup2 and
 * dup3 over a watched fd or one of mnrt's own (syscalls/ownfd.h), dup and fcntl's F_DUPFD, fcntl's blocking
 * locks, which hand off the P, and the changes of a file's O_NONBLOCK
 * (fcntl F_SETFL, ioctl FIONBIO), which netio.h caches. */
#include "shim/fdcall.h"

#include "core/lowfd.h"
#include "syscalls/netio.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>

MN_EXPORT int close(int fd)
{
    mn_cancel_point(); /* before it closes anything, as glibc's */
    if (!mn_native()) {
        if (mn_fd_is_own(fd)) { /* not the program's: "for (fd = 3; ...) close(fd)" */
            errno = EBADF;
            return -1;
        }
        mn_pollfd_close(fd);
        mn_fd_end_begin((unsigned)fd, (unsigned)fd); /* core/lowfd.h */
        int r = (int)MN_SYS(SYS_close, fd);
        int err = errno;
        mn_fd_end_end();
        errno = err;
        return r;
    }
    return (int)MN_SYS(SYS_close, fd);
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

/* dup2 and dup3 end the fd at newfd as close does (core/lowfd.h). */
static int dup_onto(long nr, int oldfd, int newfd, int flags)
{
    if (mn_native() || newfd < 0)
        return (int)MN_SYS(nr, oldfd, newfd, flags);
    mn_fd_end_begin((unsigned)newfd, (unsigned)newfd);
    int r = (int)MN_SYS(nr, oldfd, newfd, flags);
    int err = errno;
    mn_fd_end_end();
    errno = err;
    return r;
}

MN_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    if (oldfd != newfd && !make_room(newfd))
        return -1;
    return dup_onto(SYS_dup3, oldfd, newfd, flags);
}

MN_EXPORT int dup2(int oldfd, int newfd)
{
    if (oldfd == newfd) /* dup2 checks oldfd and does nothing else */
        return MN_SYS(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
    if (!make_room(newfd))
        return -1;
    return dup_onto(SYS_dup2, oldfd, newfd, 0);
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
