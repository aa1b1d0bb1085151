/* mnrt's own fds: the poller's ring, epoll instance and eventfd (the
 * cells here), and the hidden duplicates of pollfd.c. For the program they are not open: they
 * sit high up, out of the way of the numbers it gets (below the soft
 * limit and below 1,024); its close of one gives EBADF, its range closes
 * leave them alone, and its dup2 or dup3 onto one first moves mnrt's fd
 * to another number, as if the number had been free (mn_fd_vacate).
 *
 * Moving an fd that other threads use at any moment (the ring, entered by
 * every M): each system call on it goes through mn_own_fd_syscall,
 * which counts it under the epoch in which it took the number. A move stores the new number, starts a new epoch, wakes the
 * thread that may sleep in a call on the fd (kick) so that it comes back
 * for the new number, waits until no call of the old epoch is under way,
 * and only then closes the old number. So a call made with the old number
 * either is in the kernel already, which holds the file for it, or has
 * not taken the number yet: no call ever reaches the program's file that
 * the dup2 puts there.
 *
 * Invariants:
 * - a cell's fd changes only in a move (one at a time: `moving`) and in
 *   its backend's set-up and forget, which no move overlaps (the poller is
 *   set up before a G can wait, and forgotten only in a fork child);
 * - users[e & 1] counts the calls under way that took the number in epoch
 *   e; a move waits for the old epoch's count to reach zero, and epochs
 *   alternate, so a call is never counted under the other parity. */
#ifndef MN_SYSCALLS_OWNFD_H
#define MN_SYSCALLS_OWNFD_H

#include <stdatomic.h>
#include <stdbool.h>

struct mn_own_fd {
    _Atomic int fd;             /* -1: none */
    _Atomic unsigned epoch;     /* moves so far */
    _Atomic int users[2];       /* calls under way, by the parity of their epoch */
    void (*kick)(void);         /* wakes a thread blocked in a call on fd (NULL: none block) */
    void (*moved)(int fd);      /* tells the owner's other copies the new number (or NULL) */
};

/* Makes fd one of mnrt's own in `own` (kick and moved set by the caller):
 * moved high up and registered, for good. */
void mn_own_fd_keep(struct mn_own_fd *own, int fd);
/* Closes the fd of `own` (the backend's forget: fork child, a failed set-up). */
void mn_own_fd_close(struct mn_own_fd *own);
/* In the child of fork, before the backend's forget: the calls and the
 * move counted belonged to the parent's threads, which the child has not
 * (the poller's sleeper is nearly always inside a call). */
void mn_own_fd_fork_child(void);

/* A system call whose first argument is own's fd, made with the number
 * of the moment and counted while under way (see the top): its raw
 * result, -errno on failure. */
long mn_own_fd_syscall(struct mn_own_fd *own, long nr, long a2, long a3, long a4, long a5,
                       long a6);

/* Whether fd is the fd of a registered cell. */
bool mn_own_fd_is(int fd);
/* If fd is the fd of a registered cell, moves it (see the top) and closes
 * fd. 0, or EMFILE when no number is left to move it to. */
int mn_own_fd_vacate(int fd);
/* The registered cells' fds, appended with append(ctx, fd); false if it failed. */
bool mn_own_fd_list(bool (*append)(void *ctx, int fd), void *ctx);

/* At boot, while the process has one thread: grows its fd table up to
 * where mnrt's own fds go. The kernel grows a table shared by threads
 * only after an RCU grace period: setting up the poller with threads
 * about took 9-14 ms on a 2-CPU VM (fcntl F_DUPFD to fd 960 from a
 * process with a thread asleep; 6-8 us with none), and every thread that
 * waited for I/O meanwhile waited too. */
void mn_fd_table_grow(void);

#endif
