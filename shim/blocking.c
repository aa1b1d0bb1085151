/* Blocking calls mnrt cannot park on (docs/design.md §8 kind 2): for a G they
 * run with the P detachable (mn_entersyscall), so that sysmon hands it to
 * another M when the call lasts: opening files (a FIFO blocks until its
 * peer comes), waiting for children, file locks, name lookups, system(),
 * sendfile and splice. Syncing a file to its disk (fsync, fdatasync,
 * msync with MS_SYNC, sync_file_range with a wait, syncfs) hands the P on
 * as the call begins, if Gs wait for it (MN_DEVICE_WAIT). Calls that
 * return fds tell the fd table. */
#include "shim/fdcall.h"

#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/wait.h>

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

static int g_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    return mn_fd_made((int)MN_SYS_CANCELLABLE(SYS_openat, dirfd, path, flags, mode));
}

MN_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return g_openat(dirfd, path, flags, mode);
}

MN_EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return g_openat(AT_FDCWD, path, flags, mode);
}

MN_EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return g_openat(AT_FDCWD, path, flags, mode);
}

MN_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return g_openat(dirfd, path, flags, mode);
}

MN_EXPORT int __open_2(const char *path, int flags)
{
    return g_openat(AT_FDCWD, path, flags, 0);
}

MN_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
    return g_openat(dirfd, path, flags, 0);
}

MN_EXPORT int creat(const char *path, mode_t mode)
{
    return g_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

MN_EXPORT int fsync(int fd)
{
    return (int)MN_SYS_CANCELLABLE(SYS_fsync, fd);
}

MN_EXPORT int fdatasync(int fd)
{
    return (int)MN_SYS_CANCELLABLE(SYS_fdatasync, fd);
}

MN_EXPORT int msync(void *addr, size_t len, int flags)
{
    return (int)MN_SYS_CANCELLABLE(SYS_msync, addr, len, flags);
}

MN_EXPORT int sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags)
{
    if (flags & (SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WAIT_AFTER))
        return (int)MN_DEVICE_WAIT(MN_SYS(SYS_sync_file_range, fd, offset, nbytes, flags));
    return (int)MN_BLOCKING(MN_SYS(SYS_sync_file_range, fd, offset, nbytes, flags));
}

MN_EXPORT int syncfs(int fd)
{
    return (int)MN_DEVICE_WAIT(MN_SYS(SYS_syncfs, fd));
}

MN_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
    return (pid_t)MN_SYS_CANCELLABLE(SYS_wait4, pid, status, options, ru);
}

MN_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    return wait4(pid, status, options, NULL);
}

MN_EXPORT pid_t wait(int *status)
{
    return wait4(-1, status, 0, NULL);
}

MN_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
    return wait4(-1, status, options, ru);
}

MN_EXPORT int waitid(idtype_t type, id_t id, siginfo_t *info, int options)
{
    return (int)MN_SYS_CANCELLABLE(SYS_waitid, type, id, info, options, NULL);
}

MN_EXPORT int flock(int fd, int op)
{
    return MN_BLOCKING((int)MN_SYS(SYS_flock, fd, op));
}

MN_EXPORT int lockf(int fd, int cmd, off_t len)
{
    return MN_BLOCKING(mn_real.lockf(fd, cmd, len));
}

MN_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
    return MN_BLOCKING(MN_SYS(SYS_sendfile, out, in, off, count));
}

MN_EXPORT ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
                         unsigned flags)
{
    return MN_BLOCKING(MN_SYS(SYS_splice, in, off_in, out, off_out, len, flags));
}

MN_EXPORT int system(const char *cmd)
{
    return MN_BLOCKING(mn_real.system(cmd));
}

MN_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    return MN_BLOCKING(mn_real.getaddrinfo(node, service, hints, res));
}

MN_EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
                          socklen_t hostlen, char *serv, socklen_t servlen, int flags)
{
    return MN_BLOCKING(mn_real.getnameinfo(sa, salen, host, hostlen, serv, servlen, flags));
}

MN_EXPORT struct hostent *gethostbyname(const char *name)
{
    return MN_BLOCKING(mn_real.gethostbyname(name));
}

MN_EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
    return MN_BLOCKING(mn_real.gethostbyname2(name, af));
}

MN_EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t len,
                              struct hostent **result, int *h_err)
{
    return MN_BLOCKING(mn_real.gethostbyname_r(name, ret, buf, len, result, h_err));
}

MN_EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
                               size_t len, struct hostent **result, int *h_err)
{
    return MN_BLOCKING(mn_real.gethostbyname2_r(name, af, ret, buf, len, result, h_err));
}

MN_EXPORT struct hostent *gethostbyaddr(const void *addr, socklen_t len, int type)
{
    return MN_BLOCKING(mn_real.gethostbyaddr(addr, len, type));
}

MN_EXPORT int gethostbyaddr_r(const void *addr, socklen_t alen, int type, struct hostent *ret,
                              char *buf, size_t len, struct hostent **result, int *h_err)
{
    return MN_BLOCKING(mn_real.gethostbyaddr_r(addr, alen, type, ret, buf, len, result, h_err));
}
