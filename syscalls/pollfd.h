/* Per-fd readiness state (Go's pollDesc) for the fds Gs wait on: sockets,
 * pipes, and whatever poll/select/epoll_wait is asked to watch.
 *
 * A G tries its operation non-blocking first; on EAGAIN it queues on the
 * pollfd for one direction (read or write) and the poller is asked for a
 * readiness notification (armed); the notification wakes every G queued
 * in that direction, which then try again. `seq` counts the notifications:
 * a G reads it before its try and queues only if it is unchanged (checked
 * under the lock the notification takes), so readiness that comes between
 * the try and the queueing is never lost, also with a multishot
 * registration that stays armed and reports only what comes later.
 *
 * close() of an fd that Gs are blocked on behaves as on Linux, where the
 * blocked calls keep the file open: the pollfd moves to a hidden duplicate
 * of the fd, the blocked Gs go on waiting on the same file, and the
 * duplicate is closed when the last of them leaves. The program's fd
 * number is free at once.
 *
 * Otherwise close() means closed: an io_uring poll registration holds a
 * reference to the file (docs/glibc-facts.md §9), so before the program's close (or
 * dup2 onto the fd, fclose, close_range...) the pollfd's registrations are
 * cancelled and the closing thread waits until their last completions
 * have come (the pollfd is `draining` meanwhile), and the poller has
 * seen the kernel threads that armed them drop the file (poller.h,
 * settle). Only then does the file's last reference go with the close: a
 * closed listener refuses connections at once, a linger-0 close has sent
 * its reset.
 *
 * Invariants:
 * - pollfds are pooled and never freed; `gen` changes whenever one is
 *   recycled, and every notification carries (index, gen): a stale one is
 *   ignored. A pollfd returns to the pool only when the kernel holds no
 *   registration of it any more (draining ends).
 * - lock guards everything but `fd`/`inops` (atomic). Waking queued Gs
 *   happens under lock, so a G that removed its own queue nodes under the
 *   lock knows no notification still refers to its stack.
 * - A direction has at most two registrations in the kernel: the armed
 *   one, and while `retiring`, the one a move replaced (poller.h, adopt:
 *   armed anew from another thread before the old one is cancelled, so
 *   that no readiness falls between them). Both report readiness; only
 *   the armed one's end un-arms the direction, and the retired one's ends
 *   `retiring`. A pollfd drains when neither kind is left.
 * - Lock order: pollfd lock, then the poller's submission lock, then the
 *   scheduler's locks (all of them: docs/lock-order.md). */
#ifndef MN_SYSCALLS_POLLFD_H
#define MN_SYSCALLS_POLLFD_H

#include "core/lock.h"
#include "core/waiter.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum { MN_DIR_READ, MN_DIR_WRITE };

enum mn_fdkind {
    MN_FD_UNKNOWN,
    MN_FD_SOCKET,     /* non-blocking attempts with MSG_DONTWAIT */
    MN_FD_PIPE,       /* non-blocking attempts with RWF_NOWAIT */
    MN_FD_OTHER,      /* no non-blocking attempt: blocking calls hand off the P */
};

struct mn_pollnode;

/* How many kernel threads can hold a pollfd's file through its
 * registrations: two per direction (see retiring). */
#define MN_POLL_OWNERS 4

/* What the program set on the file, as netio.c last read it. */
struct mn_fd_settings {
    bool nonblock;          /* O_NONBLOCK */
    int64_t timeout_ns[2];  /* SO_RCVTIMEO, SO_SNDTIMEO (sockets); 0: none */
};

struct mn_pollfd {
    mn_lock lock;
    uint32_t gen;
    uint32_t index;
    _Atomic int fd;                   /* the fd to operate on */
    _Atomic int inops;                /* non-blocking attempts under way */
    int users;                        /* Gs inside a blocking call on it */
    bool closed;                      /* the program closed its fd */
    bool own_fd;                      /* fd is mnrt's duplicate, closed by the last user */
    bool epoll_added;
    bool draining;                    /* retired, waiting for its last completions */
    struct mn_waiter *drainer;        /* the closer waiting for that, or NULL */
    pid_t owner[2];                   /* kernel thread that armed each direction */
    struct mn_m *owner_m[2];          /* its M (NULL: not an M) */
    enum mn_fdkind kind;
    bool armed[2];
    uint8_t slot[2];                  /* the armed registration's slot (poller.h tokens) */
    bool retiring[2];                 /* a moved-away registration has not ended yet */
    pid_t retiring_owner[2];          /* the kernel thread that armed it */
    uint32_t seq[2];
    struct mn_pollnode *queue[2];
    uint64_t settings_epoch;          /* settings valid in this epoch (0: never read) */
    struct mn_fd_settings settings;
    struct mn_pollfd *next_free;
};

/* A G's (or foreign thread's) place in a pollfd's queue. */
struct mn_pollnode {
    struct mn_pollnode *next, **pprev;
    struct mn_pollfd *pd;
    struct mn_waiter *w;
    int dir;
    bool queued;
    bool fired;
};

/* The pollfd of fd, made on first use; its kind is found with fstat.
 * Marks the caller as a user: call mn_pollfd_put when done. NULL if fd is
 * not open (errno EBADF) or no memory (ENOMEM). */
struct mn_pollfd *mn_pollfd_get(int fd);
void mn_pollfd_put(struct mn_pollfd *pd);
/* The kind of fd as far as the table knows it now (no system call once
 * known); MN_FD_OTHER for fds mnrt never waits on. */
enum mn_fdkind mn_fd_kind(int fd);
/* A non-blocking attempt failed in a way that says the fd is not what the
 * table thought (it was closed behind mnrt's back and reused): forget it. */
void mn_fd_forget(int fd);

/* Brackets a non-blocking attempt on pd->fd (close waits them out). */
static inline int mn_pollfd_begin_op(struct mn_pollfd *pd)
{
    atomic_fetch_add(&pd->inops, 1);
    return atomic_load(&pd->fd);
}

static inline void mn_pollfd_end_op(struct mn_pollfd *pd)
{
    atomic_fetch_sub(&pd->inops, 1);
}

static inline uint32_t mn_pollfd_seq(struct mn_pollfd *pd, int dir)
{
    return __atomic_load_n(&pd->seq[dir], __ATOMIC_ACQUIRE);
}

/* Waits until pd is ready in dir (or was, after seq), or deadline_ns
 * (CLOCK_MONOTONIC, < 0 none). Returns 0, ETIMEDOUT, or EINTR when a
 * signal the G takes ended the wait (core/signals.h: the caller asks
 * mn_sig_should_fail whether its call fails or goes on). */
int mn_pollfd_wait(struct mn_pollfd *pd, int dir, uint32_t seq, int64_t deadline_ns);
/* The same, saying in thread dumps (core/dump.h) what the G waits for:
 * reason NULL is "fd read" or "fd write" by dir; the fd goes with it
 * (mn_pollfd_wait_any says "poll" and the number of fds). */
int mn_pollfd_wait_for(struct mn_pollfd *pd, int dir, uint32_t seq, int64_t deadline_ns,
                       const char *reason);

/* The same without a deadline for a converted inline wait
 * (core/inline_wait.h), which is a cancellation point only where the
 * interrupted call was one. */
int mn_pollfd_wait_inline(struct mn_pollfd *pd, int dir, uint32_t seq, bool cancel_point);

/* Several pollfds at once (poll, select): nodes[i] queue on pds[i] in
 * dirs[i], unless a notification came after seqs[i] was read (then it
 * returns at once); returns 0 when any may be ready, ETIMEDOUT at the
 * deadline, EINTR as mn_pollfd_wait. Read the seqs before looking at the fds' state: a multishot
 * registration that is already armed reports only what comes later. */
int mn_pollfd_wait_any(struct mn_pollfd **pds, const int *dirs, const uint32_t *seqs,
                       struct mn_pollnode *nodes, int n, int64_t deadline_ns);

/* Names a registration in the kernel: the pollfd (index, gen), its
 * direction, and its slot: the armed registration of a direction and the
 * one a move retires have different slots. */
struct mn_poll_id {
    uint32_t index, gen;
    int slot, dir;
};

/* From the poller: the registrations of (index, gen) in slot are ready in
 * the directions of the bit set dirs (1 << MN_DIR_READ, 1 << MN_DIR_WRITE);
 * also when a notification failed, so that the waiters try again. spent:
 * the directions whose registration is used up (a one-shot poll, a
 * cancelled one; a multishot poll that goes on and an edge-triggered
 * epoll registration spend none): a spent direction that did not fire and
 * has waiters is armed again. Returns the number of waiters it woke (for
 * the live view, core/stats.h). */
int mn_pollfd_event(struct mn_poll_id id, unsigned dirs, unsigned spent);

/* Before close(fd) or dup2(x, fd) by the program: forgets fd, moving Gs
 * blocked on it to a hidden duplicate; otherwise waits until the poller
 * holds nothing of fd's file any more. The caller then closes fd. */
void mn_pollfd_close(int fd);

/* The same for every fd from lo to hi (close_range, closefrom). */
void mn_pollfd_close_range(unsigned lo, unsigned hi);

/* The fds mnrt keeps for itself now, which the program's range closes
 * (close_range, closefrom) leave alone: the hidden duplicates that Gs
 * blocked on closed fds hold, and the poller's own (ownfd.h). Sorted, in *out (free
 * it with mn_fd_list_free); returns how many, or -1 (no memory). */
struct mn_fd_list {
    int *fds;
    int n, cap;
};
int mn_own_fds(struct mn_fd_list *out);
void mn_fd_list_free(struct mn_fd_list *l);

/* Whether fd is one of mnrt's own (ownfd.h: the poller's, or a hidden
 * duplicate): for the program it is not open (close gives EBADF, as
 * natively for an fd it never opened). */
bool mn_fd_is_own(int fd);
/* Before the program's dup2 or dup3 onto fd: if fd is one of mnrt's own,
 * mnrt's use of it moves to another number and fd is closed, so the
 * program gets the number as if it had been free. 0, or EMFILE when no
 * number is left to move to. */
int mn_fd_vacate(int fd);

/* In the child of fork (mn_netpoll_fork_child): every pollfd belonged to
 * the parent's threads and goes, with its memory; the poller's own fds
 * are closed by the backend's forget. A hidden duplicate that a parent's
 * thread was still blocked on stays open in the child (close-on-exec):
 * which pollfds own one cannot be read safely after the threads that
 * change them vanished mid-way. */
void mn_pollfd_fork_child(void);

#endif
