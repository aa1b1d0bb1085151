/* The try / wait / try-again loop of every blocking call on a socket or
 * pipe made by a G (docs/design.md §9): the call is tried non-blocking; on
 * EAGAIN, if the program wanted blocking I/O, the G waits for readiness
 * (up to SO_RCVTIMEO/SO_SNDTIMEO for sockets) and tries again; if the
 * program set O_NONBLOCK itself, it gets EAGAIN, unchanged. mnrt leaves
 * a file's flags alone: its attempts use MSG_DONTWAIT (sockets) and
 * RWF_NOWAIT (pipes), so descriptions shared with other processes are not
 * changed. The one exception is a blocking connect, which has no such
 * flag: each connect system call it makes runs with O_NONBLOCK set, put
 * back when it returns (shim/socket.c; README, "What is served").
 *
 * The program's O_NONBLOCK and socket timeouts are cached per pollfd (two
 * system calls less per wait). Any change through the interposed fcntl
 * F_SETFL, ioctl FIONBIO or setsockopt SO_RCVTIMEO/SO_SNDTIMEO, on any fd,
 * starts a new epoch in which every cache is read again, so duplicated
 * fds and shared sockets are covered within the process. Not seen: a
 * change made by a raw system call or by another process sharing the open
 * file description (README, "Not yet").
 *
 * Usage:
 *   struct mn_netio io;
 *   if (mn_netio_begin(&io, fd, MN_DIR_READ)) {
 *       for (;;) {
 *           int f = mn_netio_try(&io);    // the fd to use for one attempt
 *           ssize_t r = recv(f, ..., MSG_DONTWAIT);
 *           if (mn_netio_again(&io, r))  // EAGAIN and the G waited: again
 *               continue;
 *           ...
 *       }
 *       mn_netio_end(&io);
 *   }
 */
#ifndef MN_SYSCALLS_NETIO_H
#define MN_SYSCALLS_NETIO_H

#include "syscalls/pollfd.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct mn_netio {
    struct mn_pollfd *pd;
    int dir;
    uint32_t seq;
    bool deadline_known;
    int64_t deadline;      /* < 0: none */
    bool in_op;
    const char *reason;    /* what thread dumps say it waits for (NULL: fd read/write) */
};

/* true when fd gets the loop (a G, a socket or pipe); false: do the call
 * as it is (foreign thread) or with mn_entersyscall around it. A G's read
 * begins with its turn at input (runtime.h mn_input_turn), which may
 * yield. */
bool mn_netio_begin(struct mn_netio *io, int fd, int dir);
/* Starts one attempt: returns the fd to use. */
int mn_netio_try(struct mn_netio *io);
/* Ends the attempt whose result was r (errno set when r < 0). Returns
 * true when it failed with EAGAIN and the G waited until the fd may be
 * ready: try again. Returns false otherwise (errno kept), also with errno
 * EAGAIN when the program wanted non-blocking I/O or its timeout passed,
 * or EINTR when a signal handler interrupted the wait and the call fails
 * (core/signals.h: always with a socket timeout, else without SA_RESTART). */
bool mn_netio_again(struct mn_netio *io, ssize_t r);
void mn_netio_end(struct mn_netio *io);
/* Whether the program made the fd non-blocking (after a partial write:
 * then it gets the partial count at once). */
bool mn_netio_nonblocking(struct mn_netio *io);

/* The kind of fd, for the caller to choose the non-blocking attempt. */
static inline enum mn_fdkind mn_netio_kind(const struct mn_netio *io)
{
    return io->pd->kind;
}

/* The program changed a file's O_NONBLOCK or socket timeouts (after the
 * change): every cached view of them is stale. */
void mn_netio_settings_changed(void);

/* For calls with no non-blocking form (accept on a blocking listener,
 * connect): mn_netio_look before each look at the fd's state (a zero-time
 * poll, SO_ERROR), mn_netio_wait when it was not ready. The wait returns
 * at once if a notification came after the look, else when one comes: 0,
 * EAGAIN at the socket's timeout (one deadline for the whole call), or
 * EINTR as mn_netio_again. */
void mn_netio_look(struct mn_netio *io);
int mn_netio_wait(struct mn_netio *io);

/* A converted inline wait (core/inline_wait.h, mn_hooks.io_wait): the
 * calling G, interrupted in a blocking call on fd in dir that the kernel
 * will make again, waits until fd may be ready (no deadline: no socket
 * timeout is set). Returns 0, or EINTR when a signal handler ran and the
 * call fails (without SA_RESTART). */
int mn_netio_inline_wait(int fd, int dir, bool cancel_point);

/* The fd to make such a call on: the program's, or the hidden duplicate
 * that keeps the file open if another thread closed the fd meanwhile
 * (pollfd.h). The caller stays a user of the fd until mn_netio_end. */
static inline int mn_netio_fd(const struct mn_netio *io)
{
    return atomic_load(&io->pd->fd);
}

#endif
