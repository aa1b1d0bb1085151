/* Per-fd readiness state: see pollfd.h. */
#include "syscalls/pollfd.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "core/futex.h"
#include "core/lowfd.h"
#include "core/mem.h"
#include "core/runtime.h"
#include "core/testpoint.h"
#include "syscalls/ownfd.h"
#include "syscalls/poller.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHUNK 4096                 /* fds (and pollfds) per chunk */
#define MAX_CHUNKS 1024            /* up to 4M fds */

/* fd -> pollfd, in lazily allocated chunks; the markers below stand for
 * fds known not to need one. */
static _Atomic(struct mn_pollfd *) *_Atomic fdtab[MAX_CHUNKS];
static struct mn_pollfd other_marker;

/* the pool: index -> pollfd, and the free list */
static struct mn_pollfd *_Atomic pool[MAX_CHUNKS];
static uint32_t pool_size;
static struct mn_pollfd *free_list;
static mn_lock pool_lock = MN_LOCK_INIT(POOL);

static _Atomic(struct mn_pollfd *) *slot(int fd, bool create)
{
    if (fd < 0 || fd >= CHUNK * MAX_CHUNKS)
        return NULL;
    _Atomic(struct mn_pollfd *) *chunk = atomic_load(&fdtab[fd / CHUNK]);
    if (!chunk && create) {
        _Atomic(struct mn_pollfd *) *fresh = mn_mem_alloc(CHUNK * sizeof *fresh);
        if (!fresh)
            return NULL;
        if (!atomic_compare_exchange_strong(&fdtab[fd / CHUNK], &chunk, fresh))
            mn_mem_free(fresh, CHUNK * sizeof *fresh); /* another thread won */
        else
            chunk = fresh;
    }
    return chunk ? &chunk[fd % CHUNK] : NULL;
}

static struct mn_pollfd *pool_alloc(void)
{
    mn_lock_acquire(&pool_lock);
    struct mn_pollfd *pd = free_list;
    if (pd) {
        free_list = pd->next_free;
    } else if (pool_size / CHUNK < MAX_CHUNKS) {
        uint32_t c = pool_size / CHUNK;
        if (!pool[c]) {
            struct mn_pollfd *fresh = mn_mem_alloc(CHUNK * sizeof *fresh);
            if (fresh)
                atomic_store(&pool[c], fresh);
        }
        if (pool[c]) {
            pd = &pool[c][pool_size % CHUNK];
            pd->index = pool_size++;
            pd->lock = (mn_lock)MN_LOCK_INIT(POLLFD);
        }
    }
    mn_lock_release(&pool_lock);
    return pd;
}

static void pool_put(struct mn_pollfd *pd)
{
    mn_lock_acquire(&pool_lock);
    pd->next_free = free_list;
    free_list = pd;
    mn_lock_release(&pool_lock);
}

/* pd lock held: nothing of pd's may reach its next use. */
static void recycle_locked(struct mn_pollfd *pd)
{
    pd->gen++;
    pd->armed[0] = pd->armed[1] = false;
    pd->retiring[0] = pd->retiring[1] = false;
    pd->epoll_added = false;
    pd->draining = false;
    pd->drainer = NULL;
}

/* pd is unreachable from the table and has no users: its registrations are
 * dropped and it goes back to the pool, at once if the kernel holds
 * nothing of its file, else when their last completions have come
 * (mn_pollfd_event), which then wakes `closer` if not NULL; owners gets
 * the threads that armed them (poller.h, settle). Returns whether it went
 * back at once. */
static bool retire(struct mn_pollfd *pd, struct mn_waiter *closer,
                   pid_t owners[MN_POLL_OWNERS])
{
    mn_lock_acquire(&pd->lock);
    bool registered = pd->armed[0] || pd->armed[1] || pd->epoll_added;
    bool retiring = pd->retiring[0] || pd->retiring[1];
    for (int dir = 0; dir < 2 && owners; dir++) {
        owners[dir] = pd->armed[dir] ? pd->owner[dir] : 0;
        owners[2 + dir] = pd->retiring[dir] ? pd->retiring_owner[dir] : 0;
    }
    /* (a retiring registration is cancelled already: its end is awaited) */
    bool pending = (registered && mn_poller_get()->disarm(pd)) || retiring;
    if (pending) {
        pd->draining = true;
        pd->drainer = closer;
    } else {
        recycle_locked(pd);
    }
    mn_lock_release(&pd->lock);
    if (!pending)
        pool_put(pd);
    return !pending;
}

/* Retires pd and returns once the kernel holds nothing of its file. The
 * completions may be there already (a cancel finishes the polls that its
 * own thread armed), so the caller first collects them itself; else any M
 * looking for work, or sysmon, does (netpoll_waiters counts the wait). */
static void retire_and_wait(struct mn_pollfd *pd)
{
    struct mn_waiter w;
    mn_waiter_init(&w, "close");
    pid_t owners[MN_POLL_OWNERS];
    if (retire(pd, &w, owners))
        return;
    MN_TEST_POINT(MN_TP_CLOSE_DRAINING, pd);
    const struct mn_poller *p = mn_poller_get();
    atomic_fetch_add(&mn_sched.netpoll_waiters, 1);
    p->poll_now();
    mn_waiter_block(&w, -1);
    atomic_fetch_sub(&mn_sched.netpoll_waiters, 1);
    if (p->settle)
        p->settle(owners);
}

static enum mn_fdkind kind_of(int fd)
{
    struct stat st;
    if (mn_raw_syscall(SYS_fstat, fd, &st) != 0)
        return MN_FD_UNKNOWN;
    if (S_ISSOCK(st.st_mode))
        return MN_FD_SOCKET;
    if (S_ISFIFO(st.st_mode))
        return MN_FD_PIPE;
    return MN_FD_OTHER;
}

static struct mn_pollfd *make(int fd, enum mn_fdkind kind)
{
    struct mn_pollfd *pd = pool_alloc();
    if (!pd)
        return NULL;
    mn_lock_acquire(&pd->lock);
    atomic_store(&pd->fd, fd);
    pd->kind = kind;
    pd->users = 0;
    pd->closed = false;
    pd->own_fd = false;
    pd->queue[0] = pd->queue[1] = NULL;
    pd->settings_epoch = 0;
    mn_lock_release(&pd->lock);
    return pd;
}

/* The pollfd of fd (or a marker), making it if asked and unknown. */
static struct mn_pollfd *lookup(int fd, bool create_any)
{
    _Atomic(struct mn_pollfd *) *s = slot(fd, true);
    if (!s)
        return NULL;
    struct mn_pollfd *pd = atomic_load(s);
    if (pd && (pd != &other_marker || !create_any))
        return pd;
    enum mn_fdkind kind = kind_of(fd);
    if (kind == MN_FD_UNKNOWN) {
        errno = EBADF;
        return NULL;
    }
    if (kind == MN_FD_OTHER && !create_any) {
        atomic_store(s, &other_marker);
        return &other_marker;
    }
    struct mn_pollfd *fresh = make(fd, kind);
    if (!fresh) {
        errno = ENOMEM;
        return NULL;
    }
    struct mn_pollfd *expected = pd;
    if (atomic_compare_exchange_strong(s, &expected, fresh))
        return fresh;
    retire(fresh, NULL, NULL); /* another thread made one first */
    return expected;
}

enum mn_fdkind mn_fd_kind(int fd)
{
    struct mn_pollfd *pd = lookup(fd, false);
    if (!pd)
        return MN_FD_UNKNOWN;
    return pd == &other_marker ? MN_FD_OTHER : pd->kind;
}

void mn_fd_forget(int fd)
{
    _Atomic(struct mn_pollfd *) *s = slot(fd, false);
    if (!s)
        return;
    struct mn_pollfd *pd = atomic_load(s);
    if (!pd || !atomic_compare_exchange_strong(s, &pd, NULL) || pd == &other_marker)
        return;
    mn_lock_acquire(&pd->lock);
    bool unused = pd->users == 0;
    pd->closed = true; /* the last user frees it */
    mn_lock_release(&pd->lock);
    if (unused)
        retire(pd, NULL, NULL);
}

struct mn_pollfd *mn_pollfd_get(int fd)
{
    for (;;) {
        struct mn_pollfd *pd = lookup(fd, true);
        if (!pd)
            return NULL;
        mn_lock_acquire(&pd->lock);
        if (!pd->closed && atomic_load(&pd->fd) == fd) {
            pd->users++;
            mn_lock_release(&pd->lock);
            return pd;
        }
        mn_lock_release(&pd->lock); /* closed meanwhile: look again */
    }
}

/* Hidden duplicates being closed: still mnrt's until their close is done
 * (mn_own_fds), though their pollfd has no user any more. */
struct closing_fd {
    int fd;
    struct closing_fd *next;
};
static mn_lock closing_lock = MN_LOCK_INIT(CLOSING);
static struct closing_fd *closing;
/* The hidden duplicates open now (of pollfds with users, or being
 * closed), for the program's close and dup2 to know them without a look
 * at every pollfd: the first HIDDEN_SLOTS by number (0: a free slot; a
 * hidden duplicate is never fd 0-2), the others only counted, which sends
 * those calls to look in the pool while there are any. */
#define HIDDEN_SLOTS 64
static _Atomic int hidden_slot[HIDDEN_SLOTS];
static _Atomic int hidden_spilled, hidden_total;

static void hidden_add(int fd)
{
    atomic_fetch_add(&hidden_total, 1);
    for (int i = 0; i < HIDDEN_SLOTS; i++) {
        int free = 0;
        if (atomic_compare_exchange_strong(&hidden_slot[i], &free, fd))
            return;
    }
    atomic_fetch_add(&hidden_spilled, 1);
}

static void hidden_remove(int fd)
{
    atomic_fetch_sub(&hidden_total, 1);
    for (int i = 0; i < HIDDEN_SLOTS; i++) {
        int was = fd;
        if (atomic_compare_exchange_strong(&hidden_slot[i], &was, 0))
            return;
    }
    atomic_fetch_sub(&hidden_spilled, 1);
}

/* 1: fd is a hidden duplicate; 0: it is not; -1: some are only counted. */
static int hidden_known(int fd)
{
    if (!atomic_load(&hidden_total)) /* the usual case: one load per close */
        return 0;
    for (int i = 0; i < HIDDEN_SLOTS; i++)
        if (atomic_load(&hidden_slot[i]) == fd)
            return 1;
    return atomic_load(&hidden_spilled) ? -1 : 0;
}
/* mn_fd_vacate waits for the close of a hidden duplicate in naps this long. */
#define VACATE_NAP_NS (20 * 1000)

void mn_pollfd_put(struct mn_pollfd *pd)
{
    struct closing_fd me = {.fd = -1};
    mn_lock_acquire(&pd->lock);
    bool last = --pd->users == 0 && pd->closed;
    if (last && pd->own_fd) {
        me.fd = atomic_load(&pd->fd);
        mn_lock_acquire(&closing_lock);
        me.next = closing;
        closing = &me;
        mn_lock_release(&closing_lock);
    }
    mn_lock_release(&pd->lock);
    if (!last)
        return;
    retire_and_wait(pd); /* the file goes with the hidden duplicate */
    if (me.fd < 0)
        return;
    mn_raw_syscall(SYS_close, me.fd);
    hidden_remove(me.fd);
    mn_lock_acquire(&closing_lock);
    for (struct closing_fd **p = &closing; *p; p = &(*p)->next)
        if (*p == &me) {
            *p = me.next;
            break;
        }
    mn_lock_release(&closing_lock);
}

/* ---- queues ---- */

static void enqueue(struct mn_pollfd *pd, struct mn_pollnode *n, int dir, struct mn_waiter *w)
{
    n->pd = pd;
    n->dir = dir;
    n->w = w;
    n->fired = false;
    n->next = pd->queue[dir];
    if (n->next)
        n->next->pprev = &n->next;
    n->pprev = &pd->queue[dir];
    pd->queue[dir] = n;
    n->queued = true;
}

static void dequeue(struct mn_pollnode *n)
{
    *n->pprev = n->next;
    if (n->next)
        n->next->pprev = n->pprev;
    n->queued = false;
}

static int fire(struct mn_pollfd *pd, int dir);

/* Asks the poller for a notification in dir unless one is pending (whose
 * completions the poller may move to a thread that is awake). */
static void arm(struct mn_pollfd *pd, int dir)
{
    const struct mn_poller *p = mn_poller_get();
    if (!p)
        return; /* no poller: waiters poll by their deadline */
    if (pd->armed[dir]) {
        if (p->adopt)
            p->adopt(pd, dir);
        return;
    }
    pd->armed[dir] = true;
    if (!p->arm(pd, dir)) {
        pd->armed[dir] = false;
        fire(pd, dir);
    }
}

/* Wakes the waiters of dir; returns how many. */
static int fire(struct mn_pollfd *pd, int dir)
{
    __atomic_store_n(&pd->seq[dir], pd->seq[dir] + 1, __ATOMIC_RELEASE);
    int woken = 0;
    for (struct mn_pollnode *n = pd->queue[dir]; n; n = pd->queue[dir]) {
        dequeue(n);
        n->fired = true;
        mn_waiter_wake(n->w); /* under the lock: see pollfd.h */
        woken++;
    }
    return woken;
}

/* Waits until the non-blocking attempts under way on pd's old fd, which
 * read it before a move, have ended (they never block). */
static void attempts_end(struct mn_pollfd *pd)
{
    while (atomic_load(&pd->inops) > 0)
        mn_cpu_relax();
}

/* pd lock held: pd's Gs go on with fd `to`, a hidden duplicate of the fd
 * they used (-1: there is none, they wake and find the fd closed).
 * io_uring's polls hold the file: they stay valid. An epoll registration
 * names the fd number, which is about to be closed: it goes, and `to` is
 * registered anew. */
static void move_locked(struct mn_pollfd *pd, int to)
{
    if (pd->epoll_added) {
        mn_poller_get()->disarm(pd);
        pd->armed[0] = pd->armed[1] = false;
    }
    atomic_store(&pd->fd, to);
    pd->own_fd = to >= 0;
    for (int dir = 0; dir < 2; dir++) {
        if (to < 0)
            fire(pd, dir);
        else if (pd->queue[dir])
            arm(pd, dir);
    }
}

int mn_pollfd_event(struct mn_poll_id id, unsigned dirs, unsigned spent)
{
    struct mn_pollfd *pd = &atomic_load(&pool[id.index / CHUNK])[id.index % CHUNK];
    bool drained = false;
    int woken = 0;
    mn_lock_acquire(&pd->lock);
    if (pd->gen == id.gen) {
        for (int dir = 0; dir < 2; dir++) { /* all first: a re-arm may cover both */
            if (!(spent & (1u << dir)))
                continue;
            if (pd->retiring[dir] && id.slot != pd->slot[dir])
                pd->retiring[dir] = false; /* the registration a move replaced */
            else
                pd->armed[dir] = false;
        }
        for (int dir = 0; dir < 2; dir++) {
            if (dirs & (1u << dir))
                woken += fire(pd, dir);
            else if (!pd->armed[dir] && pd->queue[dir])
                arm(pd, dir); /* a registration spent without firing here */
        }
        if (pd->draining && !pd->armed[0] && !pd->armed[1] && !pd->retiring[0] &&
            !pd->retiring[1]) {
            struct mn_waiter *closer = pd->drainer;
            recycle_locked(pd);
            if (closer)
                mn_waiter_wake(closer); /* under the lock: see pollfd.h */
            drained = true;
        }
    }
    mn_lock_release(&pd->lock);
    if (drained)
        pool_put(pd);
    return woken;
}

struct wait_set {
    struct mn_pollnode *nodes;
    int n;
};

/* The waiter's cancel: takes its nodes out; true if none had fired and
 * no other cancel (the deadline's, a signal's) came first: one winner. */
static bool cancel_nodes(struct mn_waiter *w)
{
    struct wait_set *ws = (struct wait_set *)w->tag;
    bool none_fired = true;
    for (int i = 0; i < ws->n; i++) {
        struct mn_pollnode *n = &ws->nodes[i];
        if (!n->pd)
            continue;
        mn_lock_acquire(&n->pd->lock);
        if (n->queued)
            dequeue(n);
        if (n->fired)
            none_fired = false;
        mn_lock_release(&n->pd->lock);
    }
    return none_fired && mn_waiter_cancel_once(w);
}

/* reason and num: what thread dumps say it waits for (core/dump.h);
 * cancel_point: pthread_cancel ends the wait too */
static int wait_any(struct mn_pollfd **pds, const int *dirs, const uint32_t *seqs,
                    struct mn_pollnode *nodes, int n, int64_t deadline_ns, const char *reason,
                    int64_t num, bool cancel_point)
{
    struct mn_waiter w;
    mn_waiter_init(&w, reason);
    w.num = num;
    w.until = deadline_ns; /* (not the short polls below) */
    struct wait_set ws = {nodes, 0};
    w.tag = (uintptr_t)&ws;
    w.cancel = cancel_nodes;
    w.intr = true;
    w.cancel_point = cancel_point; /* read, write, accept, connect, poll, ... */
    bool missed = false;
    for (int i = 0; i < n && !missed; i++) {
        nodes[i].pd = pds[i];
        nodes[i].queued = nodes[i].fired = false;
        ws.n = i + 1;
        if (!pds[i])
            continue;
        mn_lock_acquire(&pds[i]->lock);
        /* checked where a notification would find the node: one that came
         * after the caller's look at seq is never lost */
        missed = pds[i]->seq[dirs[i]] != seqs[i];
        if (!missed) {
            enqueue(pds[i], &nodes[i], dirs[i], &w);
            arm(pds[i], dirs[i]);
        }
        mn_lock_release(&pds[i]->lock);
        if (!missed)
            MN_TEST_POINT(MN_TP_POLLFD_QUEUED, pds[i]);
    }
    if (missed) {
        cancel_nodes(&w);
        return 0;
    }
    int64_t deadline = deadline_ns;
    if (!mn_poller_get()) { /* no poller at all: look again every 10 ms */
        int64_t soon = mn_nanotime() + 10 * 1000 * 1000;
        if (deadline < 0 || deadline > soon)
            deadline = soon;
    }
    atomic_fetch_add(&mn_sched.netpoll_waiters, 1);
    MN_TEST_POINT(MN_TP_POLLFD_BLOCK, &w);
    int r = mn_waiter_block(&w, deadline);
    atomic_fetch_sub(&mn_sched.netpoll_waiters, 1);
    cancel_nodes(&w); /* whatever did not fire leaves the queues */
    if (r == ETIMEDOUT && deadline != deadline_ns)
        r = 0; /* the short poll of the no-poller case */
    return r;
}

int mn_pollfd_wait_any(struct mn_pollfd **pds, const int *dirs, const uint32_t *seqs,
                       struct mn_pollnode *nodes, int n, int64_t deadline_ns)
{
    return wait_any(pds, dirs, seqs, nodes, n, deadline_ns, "poll", n, true);
}

int mn_pollfd_wait(struct mn_pollfd *pd, int dir, uint32_t seq, int64_t deadline_ns)
{
    return mn_pollfd_wait_for(pd, dir, seq, deadline_ns, NULL);
}

int mn_pollfd_wait_for(struct mn_pollfd *pd, int dir, uint32_t seq, int64_t deadline_ns,
                       const char *reason)
{
    struct mn_pollnode node;
    if (!reason)
        reason = dir == MN_DIR_READ ? "fd read" : "fd write";
    return wait_any(&pd, &dir, &seq, &node, 1, deadline_ns, reason, atomic_load(&pd->fd), true);
}

int mn_pollfd_wait_inline(struct mn_pollfd *pd, int dir, uint32_t seq, bool cancel_point)
{
    struct mn_pollnode node;
    const char *reason = dir == MN_DIR_READ ? "fd read (inline, parked)" : "fd write (inline, parked)";
    return wait_any(&pd, &dir, &seq, &node, 1, -1, reason, atomic_load(&pd->fd), cancel_point);
}

void mn_pollfd_close(int fd)
{
    _Atomic(struct mn_pollfd *) *s = slot(fd, false);
    struct mn_pollfd *pd = s ? atomic_exchange(s, NULL) : NULL;
    if (!pd || pd == &other_marker)
        return;
    mn_lock_acquire(&pd->lock);
    bool busy = pd->users > 0;
    pd->closed = true;
    if (busy) { /* blocked calls keep the file open on Linux: so do their Gs */
        int hidden = mn_fd_dup_high(fd);
        if (hidden >= 0)
            hidden_add(hidden);
        move_locked(pd, hidden);
    }
    mn_lock_release(&pd->lock);
    attempts_end(pd);
    if (!busy)
        retire_and_wait(pd);
}

/* The pollfd whose hidden duplicate fd is, locked; or NULL. */
static struct mn_pollfd *lock_hidden(int fd)
{
    mn_lock_acquire(&pool_lock);
    uint32_t n = pool_size;
    mn_lock_release(&pool_lock);
    for (uint32_t i = 0; i < n; i++) {
        struct mn_pollfd *pd = &atomic_load(&pool[i / CHUNK])[i % CHUNK];
        mn_lock_acquire(&pd->lock);
        if (pd->own_fd && pd->users > 0 && atomic_load(&pd->fd) == fd)
            return pd;
        mn_lock_release(&pd->lock);
    }
    return NULL;
}

static bool is_closing(int fd)
{
    mn_lock_acquire(&closing_lock);
    struct closing_fd *c = closing;
    while (c && c->fd != fd)
        c = c->next;
    mn_lock_release(&closing_lock);
    return c != NULL;
}

bool mn_fd_is_own(int fd)
{
    if (mn_own_fd_is(fd))
        return true;
    int known = hidden_known(fd);
    if (known >= 0)
        return known;
    struct mn_pollfd *pd = lock_hidden(fd);
    if (pd)
        mn_lock_release(&pd->lock);
    return pd || is_closing(fd);
}

int mn_fd_vacate(int fd)
{
    int err = mn_own_fd_vacate(fd);
    if (err || !hidden_known(fd))
        return err;
    struct mn_pollfd *pd = lock_hidden(fd);
    if (pd) {
        int to = mn_fd_dup_high(fd);
        if (to >= 0) {
            hidden_add(to);
            move_locked(pd, to);
        }
        mn_lock_release(&pd->lock);
        if (to < 0)
            return EMFILE;
        attempts_end(pd);
        mn_raw_syscall(SYS_close, fd);
        hidden_remove(fd);
        return 0;
    }
    while (is_closing(fd)) /* the last user closes it: the program's dup2 comes after */
        mn_waiter_nap("close", VACATE_NAP_NS);
    return 0;
}

void mn_pollfd_close_range(unsigned lo, unsigned hi)
{
    if (hi >= (unsigned)CHUNK * MAX_CHUNKS)
        hi = (unsigned)CHUNK * MAX_CHUNKS - 1;
    for (unsigned fd = lo; fd <= hi && fd >= lo; fd++) {
        if (!atomic_load(&fdtab[fd / CHUNK])) { /* a chunk never used */
            fd |= CHUNK - 1;
            continue;
        }
        mn_pollfd_close((int)fd);
    }
}

static int by_value(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Appends fd to the growing array *fds; false if out of memory. */
static bool append_fd(void *list, int fd)
{
    struct mn_fd_list *l = list;
    if (l->n == l->cap) {
        int more_cap = l->cap ? 2 * l->cap : 1024;
        int *more = mn_mem_realloc(l->fds, (size_t)l->cap * sizeof *l->fds,
                                   (size_t)more_cap * sizeof *l->fds);
        if (!more)
            return false;
        l->fds = more;
        l->cap = more_cap;
    }
    l->fds[l->n++] = fd;
    return true;
}

int mn_own_fds(struct mn_fd_list *out)
{
    mn_lock_acquire(&pool_lock);
    uint32_t n = pool_size;
    mn_lock_release(&pool_lock);
    *out = (struct mn_fd_list){0};
    bool ok = mn_own_fd_list(append_fd, out);
    mn_lock_acquire(&closing_lock);
    for (struct closing_fd *c = closing; c && ok; c = c->next)
        ok = append_fd(out, c->fd);
    mn_lock_release(&closing_lock);
    for (uint32_t i = 0; i < n && ok; i++) {
        struct mn_pollfd *pd = &atomic_load(&pool[i / CHUNK])[i % CHUNK];
        mn_lock_acquire(&pd->lock);
        int fd = pd->own_fd && pd->users > 0 ? atomic_load(&pd->fd) : -1;
        mn_lock_release(&pd->lock);
        if (fd >= 0)
            ok = append_fd(out, fd);
    }
    if (!ok) {
        mn_fd_list_free(out);
        return -1;
    }
    if (out->n)
        qsort(out->fds, (size_t)out->n, sizeof *out->fds, by_value);
    return out->n;
}

void mn_fd_list_free(struct mn_fd_list *l)
{
    mn_mem_free(l->fds, (size_t)l->cap * sizeof *l->fds);
}

void mn_pollfd_fork_child(void)
{
    for (int c = 0; c < MAX_CHUNKS; c++) {
        _Atomic(struct mn_pollfd *) *fds = atomic_exchange(&fdtab[c], NULL);
        if (fds)
            mn_mem_free(fds, CHUNK * sizeof *fds);
        struct mn_pollfd *pds = atomic_exchange(&pool[c], NULL);
        if (pds)
            mn_mem_free(pds, CHUNK * sizeof *pds);
    }
    pool_size = 0;
    free_list = NULL;
    closing = NULL;
    pool_lock = (mn_lock)MN_LOCK_INIT(POOL);
    closing_lock = (mn_lock)MN_LOCK_INIT(CLOSING);
    for (int i = 0; i < HIDDEN_SLOTS; i++)
        atomic_store(&hidden_slot[i], 0);
    atomic_store(&hidden_spilled, 0);
    atomic_store(&hidden_total, 0);
}
