/* The two steps every interposed call on fds shares, one helper each
 * (docs/adding-a-call.md):
 *
 * - MN_SYS_FALLBACK: the call as the kernel makes it, for what the try /
 *   wait loop of syscalls/netio.h does not serve (a caller that is no G,
 *   an fd that is no socket or pipe, a call the program made non-blocking
 *   with MSG_DONTWAIT).
 * - mn_fd_made: a call made an fd (socket, socketpair, pipe, accept, open,
 *   dup, F_DUPFD, ...), whatever thread made it. Its number may be one
 *   mnrt still has state for, the old file having been closed behind its
 *   back (a raw close system call) or the number reused: that state is
 *   dropped (mn_fd_forget, syscalls/pollfd.h). Not in a process that
 *   runs natively (mn_native): there the table is not the process's own.
 *   The child of _Fork, or of a fork mnrt does not see, has a copy of its
 *   parent's table and shares the parent's netpoller (the io_uring rings
 *   are shared mappings, the epoll instance one file): forgetting an fd
 *   whose poll the parent had armed submitted a cancel into the parent's
 *   ring, the parent lost its next submission and a wait for I/O hung
 *   (tests/programs/native_child_fds). */
#ifndef MN_SHIM_FDCALL_H
#define MN_SHIM_FDCALL_H

#include "shim/pthread_impl.h"
#include "shim/sys.h"
#include "syscalls/pollfd.h"

/* A non-blocking call (nonblocking: the program asked for it, e.g. with
 * MSG_DONTWAIT) is one system call; a blocking one is a cancellation
 * point with the G's P detachable while it blocks (a foreign thread's is
 * plain: mn_sys_cancellable6). */
static inline long mn_sys_fallback6(bool nonblocking, long n, long a1, long a2, long a3, long a4,
                                    long a5, long a6)
{
    if (nonblocking)
        return mn_sys6(n, a1, a2, a3, a4, a5, a6);
    return mn_sys_cancellable6(n, a1, a2, a3, a4, a5, a6);
}
#define MN_SYS_FALLBACK_ARGS(nb, n, a1, a2, a3, a4, a5, a6, ...)                                 \
    mn_sys_fallback6((nb), (long)(n), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), \
                     (long)(a6))
/* MN_SYS_FALLBACK(nonblocking, SYS_x, args...): up to six arguments */
#define MN_SYS_FALLBACK(nb, ...) MN_SYS_FALLBACK_ARGS((nb), __VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

/* fd (a call's result: -1 passes through) was just made. Returns fd. */
static inline int mn_fd_made(int fd)
{
    if (fd >= 0 && !mn_native())
        mn_fd_forget(fd);
    return fd;
}

#endif
