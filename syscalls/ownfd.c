/* mnrt's own fds: see ownfd.h. */
#include "syscalls/ownfd.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "core/lowfd.h"
#include "core/runtime.h"
#include "core/waiter.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

/* A move waits for the calls of the old number in naps this long, and
 * wakes the fd's sleeper again every KICK_EVERY naps. */
#define MOVE_NAP_NS (20 * 1000)
#define KICK_EVERY 50

/* With an fd of its own: a close of a duplicate of one of the program's
 * (its stdin, say) would drop the program's fcntl locks on that file,
 * which a process keeps across execve, and flush it (a round trip on NFS
 * or FUSE). */
void mn_fd_table_grow(void)
{
    int fd = (int)mn_raw_syscall(SYS_eventfd2, 0, EFD_CLOEXEC);
    if (fd < 0)
        return;
    int high = mn_fd_dup_high(fd);
    if (high >= 0)
        mn_raw_syscall(SYS_close, high);
    mn_raw_syscall(SYS_close, fd);
}

/* The registered cells: a few, for good (a fork child's forget closes
 * their fds and its next set-up fills them again). */
#define MAX_CELLS 8
static struct mn_own_fd *_Atomic cells[MAX_CELLS];
static _Atomic int ncells;
/* One move at a time; moves are rare, so a flag and naps, no lock. */
static atomic_bool moving;

void mn_own_fd_keep(struct mn_own_fd *own, int fd)
{
    int high = mn_fd_dup_high(fd);
    if (high >= 0) {
        mn_raw_syscall(SYS_close, fd);
        fd = high;
    }
    atomic_store(&own->fd, fd);
    int n = atomic_load(&ncells);
    for (int i = 0; i < n; i++)
        if (atomic_load(&cells[i]) == own)
            return;
    int i = atomic_fetch_add(&ncells, 1);
    if (i >= MAX_CELLS)
        mn_fatal("more than %d fds of mnrt's own", MAX_CELLS);
    atomic_store(&cells[i], own);
}

void mn_own_fd_close(struct mn_own_fd *own)
{
    int fd = atomic_exchange(&own->fd, -1);
    if (fd >= 0)
        mn_raw_syscall(SYS_close, fd);
}

void mn_own_fd_fork_child(void)
{
    int n = atomic_load(&ncells);
    for (int i = 0; i < n && i < MAX_CELLS; i++) {
        struct mn_own_fd *own = atomic_load(&cells[i]);
        atomic_store(&own->users[0], 0);
        atomic_store(&own->users[1], 0);
    }
    atomic_store(&moving, false);
}

static struct mn_own_fd *cell_of(int fd)
{
    int n = atomic_load(&ncells);
    for (int i = 0; i < n && i < MAX_CELLS; i++) {
        struct mn_own_fd *own = atomic_load(&cells[i]);
        if (own && fd >= 0 && atomic_load(&own->fd) == fd)
            return own;
    }
    return NULL;
}

bool mn_own_fd_is(int fd)
{
    return cell_of(fd) != NULL;
}

bool mn_own_fd_list(bool (*append)(void *ctx, int fd), void *ctx)
{
    int n = atomic_load(&ncells);
    for (int i = 0; i < n && i < MAX_CELLS; i++) {
        struct mn_own_fd *own = atomic_load(&cells[i]);
        int fd = own ? atomic_load(&own->fd) : -1;
        if (fd >= 0 && !append(ctx, fd))
            return false;
    }
    return true;
}

long mn_own_fd_syscall(struct mn_own_fd *own, long nr, long a2, long a3, long a4, long a5,
                       long a6)
{
    unsigned e;
    for (;;) {
        e = atomic_load(&own->epoch);
        atomic_fetch_add(&own->users[e & 1], 1);
        if (atomic_load(&own->epoch) == e)
            break;
        atomic_fetch_sub(&own->users[e & 1], 1); /* a move began: take the new number */
    }
    long r = mn_raw_syscall(nr, atomic_load(&own->fd), a2, a3, a4, a5, a6);
    atomic_fetch_sub(&own->users[e & 1], 1);
    return r;
}

int mn_own_fd_vacate(int fd)
{
    if (!cell_of(fd))
        return 0;
    bool idle = false;
    while (!atomic_compare_exchange_weak(&moving, &idle, true)) {
        idle = false;
        mn_waiter_nap("fd move", MOVE_NAP_NS);
    }
    struct mn_own_fd *own = cell_of(fd); /* another move may have taken it away */
    int to = own ? mn_fd_dup_high(fd) : -1;
    if (own && to >= 0) {
        unsigned e = atomic_load(&own->epoch);
        atomic_store(&own->fd, to);
        atomic_store(&own->epoch, e + 1);
        if (own->moved)
            own->moved(to);
        for (int i = 0; atomic_load(&own->users[e & 1]) > 0; i++) {
            if (i % KICK_EVERY == 0 && own->kick)
                own->kick();
            mn_waiter_nap("fd move", MOVE_NAP_NS);
        }
        mn_raw_syscall(SYS_close, fd);
    }
    atomic_store(&moving, false);
    return own && to < 0 ? EMFILE : 0;
}
