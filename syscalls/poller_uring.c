/* The io_uring backend. A notification is an IORING_OP_POLL_ADD per
 * pollfd and direction, its user data the poll token: multishot where the
 * kernel has it (5.19+, which COOP_TASKRUN needs too), so a direction is
 * armed once and goes on reporting every wake-up of the file (Go's
 * edge-triggered registration: no submission per wait) until the pollfd
 * is recycled (disarm) or the kernel ends it (a completion without
 * IORING_CQE_F_MORE: armed again by the next wait). One-shot otherwise.
 *
 * Ring ownership (docs/glibc-facts.md §9: completions are finished in the context of
 * the thread that submitted): one shared ring; the thread that arms a
 * poll submits it at once (so it is usually the M that will look for work
 * next), any M without work reaps completions without a system call
 * (Go's netpoll(0)), and the idle M that waits for the next timer blocks
 * in the ring (poll_sleep in core/sched.c). With COOP_TASKRUN a busy M
 * finishes its completions at its next system call; a submitter asleep in
 * an interruptible call is woken by the kernel to finish them and its call
 * restarts. A multishot poll stays with its submitter; one whose
 * submitter sleeps idle moves to the thread of a G that waits on it
 * (uring_adopt; docs/design.md §9). Waking the blocked M: a
 * NOP, which completes inside the submitting call itself, so it never
 * waits for anybody.
 *
 * The ring's fd is one of mnrt's own (ownfd.h), which a program's dup2
 * onto it moves: enter() goes through mn_own_fd_syscall, and liburing's
 * submissions, all under sq_lock, read the copies in `ring` that
 * ring_moved updates under that lock.
 *
 * A poll request holds a reference to its file, dropped by the thread
 * that submitted it (the pollfd's owner) right after it posts the final
 * completion. So a close first cancels (disarm), waits for the final
 * completions (pollfd.c), then for their owners to be past that point
 * (settle): at once when the closing thread armed them itself.
 *
 * Completions that found the CQ full wait in the kernel's overflow list;
 * whoever reaps asks for them first, so none waits for the M blocked in the
 * ring (closes wait for the last completions of cancelled polls).
 *
 * liburing sets the ring up, fills the submission queue and reads the
 * completion queue; waits and the flags it may not know are made here
 * from the kernel's ABI, so that the same code builds with Debian 11's
 * liburing 0.7 and later ones. A timed wait in the ring needs
 * IORING_FEAT_EXT_ARG (Linux 5.11): without it the ring is refused (epoll
 * serves), as liburing would otherwise submit a timeout of its own,
 * outside sq_lock.
 *
 * Invariants: sq_lock guards filling and submitting the submission queue,
 * cq_lock reaping the completion queue. */
#include "syscalls/poller.h"

#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "core/futex.h"
#include "core/kthread.h"
#include "core/lock.h"
#include "core/runtime.h"
#include "core/stats.h"
#include "core/waiter.h"
#include "syscalls/ownfd.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>

/* Kernel ABI newer than Linux 5.10's headers (compat/backfill.h). */
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8) /* 5.19 */
#endif
#ifndef IORING_POLL_ADD_MULTI
#define IORING_POLL_ADD_MULTI (1U << 0) /* 5.13 */
#endif
#ifndef IORING_CQE_F_MORE
#define IORING_CQE_F_MORE (1U << 1) /* 5.13 */
#endif
#ifndef IORING_SQ_CQ_OVERFLOW
#define IORING_SQ_CQ_OVERFLOW (1U << 1) /* 5.8 */
#endif
#ifndef IORING_ENTER_EXT_ARG
#define IORING_ENTER_EXT_ARG (1U << 3) /* 5.11 */
#endif
#ifndef IORING_FEAT_EXT_ARG
#define IORING_FEAT_EXT_ARG (1U << 8)
#endif

/* struct io_uring_getevents_arg (5.11) */
struct getevents_arg {
    uint64_t sigmask;
    uint32_t sigmask_sz;
    uint32_t pad;
    uint64_t ts;
};

#define SQ_ENTRIES 1024
#define CQ_ENTRIES 16384
#define TOKEN_WAKE (~0ull)
#define TOKEN_CANCEL (~0ull - 1)
#define SETTLE_CPU_NS (100 * 1000)
#define SETTLE_NAP_NS (20 * 1000)
/* An M idle in stopm this long is taken to stay idle (uring_adopt): for
 * a pipe's registration, for a socket's. */
#define ADOPT_IDLE_PIPE_NS (200 * 1000)
#define ADOPT_IDLE_NS (10 * 1000 * 1000)

static struct io_uring ring;
static bool multishot;

static void uring_forget(void);
static mn_lock sq_lock = MN_LOCK_INIT(SQ), cq_lock = MN_LOCK_INIT(CQ);

static void uring_wake(void);
static void ring_moved(int fd);
/* The ring's fd: entered by liburing's submissions (under sq_lock, with
 * the copies in `ring` that ring_moved keeps) and by enter() below. */
static struct mn_own_fd ring_own = {.fd = -1, .kick = uring_wake, .moved = ring_moved};

static void ring_moved(int fd)
{
    mn_lock_acquire(&sq_lock);
    ring.ring_fd = fd;
#ifdef MN_URING_ENTER_RING_FD /* liburing 2.2+ enters with this one */
    ring.enter_ring_fd = fd;
#endif
    mn_lock_release(&sq_lock);
}

static int enter(unsigned to_submit, unsigned min_complete, unsigned flags, const void *arg,
                 size_t argsz)
{
    return (int)mn_own_fd_syscall(&ring_own, SYS_io_uring_enter, to_submit, min_complete, flags,
                                  (long)arg, (long)argsz);
}

static int uring_init(void)
{
    struct io_uring_params p = {0};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN;
    p.cq_entries = CQ_ENTRIES;
    int r = io_uring_queue_init_params(SQ_ENTRIES, &ring, &p);
    multishot = r == 0;
    if (r == -EINVAL) { /* an older kernel: without the flags */
        memset(&p, 0, sizeof p);
        r = io_uring_queue_init_params(SQ_ENTRIES, &ring, &p);
    }
    if (r < 0)
        return -r;
    mn_own_fd_keep(&ring_own, ring.ring_fd);
    ring_moved(atomic_load(&ring_own.fd));
    if (!(p.features & IORING_FEAT_EXT_ARG)) { /* before 5.11: no timed waits */
        uring_forget();
        return ENOSYS;
    }
    return 0;
}

/* With sq_lock held: an entry to fill (submitting what waits if full). */
static struct io_uring_sqe *get_sqe(void)
{
    struct io_uring_sqe *sqe;
    while (!(sqe = io_uring_get_sqe(&ring)))
        io_uring_submit(&ring);
    return sqe;
}

/* With sq_lock held: a poll of pd in dir, in its current slot. */
static void queue_poll(struct mn_pollfd *pd, int dir)
{
    struct io_uring_sqe *sqe = get_sqe();
    unsigned mask = dir == MN_DIR_READ ? POLLIN | POLLRDHUP | POLLPRI : POLLOUT;
    io_uring_prep_poll_add(sqe, atomic_load(&pd->fd), mask);
    if (multishot)
        sqe->len = IORING_POLL_ADD_MULTI;
    sqe->user_data = mn_poll_token(pd->index, pd->gen, pd->slot[dir], dir);
}

/* With sq_lock held: a cancel of pd's poll in dir and slot. */
static void queue_cancel(struct mn_pollfd *pd, int dir, int slot)
{
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_cancel(sqe, (void *)(uintptr_t)mn_poll_token(pd->index, pd->gen, slot, dir), 0);
    sqe->user_data = TOKEN_CANCEL;
}

/* pd locked: this thread owns dir's registration from now on. */
static void note_owner(struct mn_pollfd *pd, int dir)
{
    pd->owner[dir] = mn_kthread_self();
    pd->owner_m[dir] = mn_current_m();
}

static bool uring_arm(struct mn_pollfd *pd, int dir)
{
    mn_lock_acquire(&sq_lock);
    queue_poll(pd, dir);
    io_uring_submit(&ring); /* this thread submits it: it finishes its completions */
    mn_lock_release(&sq_lock);
    note_owner(pd, dir);
    return true; /* a file that cannot be polled completes at once */
}

/* Cancels the armed polls; each then ends with a completion without
 * IORING_CQE_F_MORE (-ECANCELED, or the readiness that beat the cancel),
 * which releases the request's reference to the file. */
static bool uring_disarm(struct mn_pollfd *pd)
{
    if (!pd->armed[MN_DIR_READ] && !pd->armed[MN_DIR_WRITE])
        return false;
    mn_lock_acquire(&sq_lock);
    for (int dir = 0; dir < 2; dir++)
        if (pd->armed[dir])
            queue_cancel(pd, dir, pd->slot[dir]);
    io_uring_submit(&ring);
    mn_lock_release(&sq_lock);
    return true;
}

/* A multishot poll stays with the thread that armed it (its task work
 * finishes every completion). When that is an M asleep in stopm (or not
 * an M at all: sysmon, a foreign thread), each readiness wakes it just
 * to post the completion, after which it sleeps on, and the Gs it
 * readied wait for somebody to collect them. So the direction is armed
 * anew from this thread, which is running a G about to wait there, in
 * the same submission just before the old registration is cancelled: the
 * two overlap, so no readiness falls between them, and the G waits for
 * nothing (the old one's last completion only ends `retiring`). One move
 * at a time per direction. Not from the M asleep in the poller: the
 * kernel's wake for the task work is the wake it sleeps for, and it
 * collects what it posted.
 * How long the owner must have been idle is a trade. A registration on
 * a running M is finished when that M next enters the kernel, which may
 * wait behind whatever the kernel runs instead of it; one on a sleeping
 * M is finished as soon as the kernel wakes it, which it does at once.
 * Measured on a 2-CPU VM (machine C, 2026-12-06), moves after 200 us in
 * stopm: the pipe ping-pong's round trip 3.2-3.5 us in 6 of 6 runs
 * (before 3.2-18.6, native 8.6-12.7 in that state of the VM; its two
 * threads end up on one M, whose own writes post the other's
 * completions), but the echo server's p99 at 10 connections 410-1,110
 * us against 172-360 (5 alternating rounds each; its clients, 2 threads
 * on the same 2 CPUs, preempt the Ms). So pipes, whose writer is often a
 * thread of the program, move after ADOPT_IDLE_PIPE_NS, and sockets after
 * ADOPT_IDLE_NS, as before. Before (until 2026-12-06) the old
 * registration was cancelled first and armed again by whoever collected
 * its end, with the G waiting meanwhile: an M asleep in the poller
 * collected its own and kept the registration. */
static void uring_adopt(struct mn_pollfd *pd, int dir)
{
    mn_m *owner = pd->owner_m[dir], *self = mn_current_m();
    if (!multishot || pd->retiring[dir] || !self || owner == self)
        return;
    int64_t since = owner ? mn_m_stopped_since(owner) : 0; /* the clock only for a sleeper */
    int64_t idle_ns = pd->kind == MN_FD_PIPE ? ADOPT_IDLE_PIPE_NS : ADOPT_IDLE_NS;
    if (owner && (!since || mn_nanotime() - since < idle_ns))
        return;
    int old = pd->slot[dir];
    pd->slot[dir] = (uint8_t)!old;
    pd->retiring[dir] = true;
    pd->retiring_owner[dir] = pd->owner[dir];
    mn_lock_acquire(&sq_lock);
    queue_poll(pd, dir);
    queue_cancel(pd, dir, old);
    io_uring_submit(&ring);
    mn_lock_release(&sq_lock);
    note_owner(pd, dir);
}

/* The owner of a cancelled poll posted its last completion and, in the
 * same pass of its task work, drops the request's reference to the file
 * right after. When the owner is this thread, that pass ran before the
 * cancel's submission returned. Otherwise the pass is over once the owner
 * is not running or runnable (it cannot sleep or stop inside it; gone is
 * over too) or has run for SETTLE_CPU_NS since (the rest of a pass takes
 * a few microseconds); meanwhile this thread waits in short naps. */
static void settle_one(pid_t owner)
{
    if (!owner || owner == mn_kthread_self())
        return;
    clockid_t clock = mn_kthread_cpuclock(owner);
    int64_t start = mn_kthread_cpu_ns(clock);
    while (start >= 0 && mn_kthread_state(owner) == 'R') {
        int64_t now = mn_kthread_cpu_ns(clock);
        if (now < 0 || now - start >= SETTLE_CPU_NS)
            return;
        mn_waiter_nap("close", SETTLE_NAP_NS);
    }
}

static void uring_settle(const pid_t owners[MN_POLL_OWNERS])
{
    for (int i = 0; i < MN_POLL_OWNERS; i++) {
        bool seen = false;
        for (int j = 0; j < i; j++)
            seen |= owners[j] == owners[i];
        if (!seen)
            settle_one(owners[i]);
    }
}

static void uring_wake(void)
{
    mn_lock_acquire(&sq_lock);
    struct io_uring_sqe *sqe = get_sqe();
    io_uring_prep_nop(sqe);
    sqe->user_data = TOKEN_WAKE;
    io_uring_submit(&ring);
    mn_lock_release(&sq_lock);
}

/* Completions the CQ had no room for wait in the kernel. */
static bool overflowed(void)
{
    return atomic_load_explicit((_Atomic unsigned *)ring.sq.kflags, memory_order_relaxed) &
           IORING_SQ_CQ_OVERFLOW;
}

/* Reaps what has completed; returns how many readiness events it saw.
 * A wake-up NOP is meant for the M blocked in the ring: a reaper that does
 * not block passes it on (posts it again) while that M exists, as Go's
 * non-blocking netpoll leaves netpollBreak's byte alone. */
static int reap(bool blocking)
{
    if (overflowed())
        enter(0, 0, IORING_ENTER_GETEVENTS, NULL, 0); /* completions the CQ had no room for */
    if (!io_uring_cq_ready(&ring))
        return 0;
    int events = 0, woken = 0;
    bool pass_on = false;
    mn_lock_acquire(&cq_lock);
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
        seen++;
        uint64_t token = cqe->user_data;
        if (token == TOKEN_WAKE)
            pass_on |= !blocking;
        if (token == TOKEN_WAKE || token == TOKEN_CANCEL)
            continue;
        /* Readiness or an error (-EBADF after a close) wakes the waiters:
         * they try again and re-arm. A cancelled poll (uring_adopt, a
         * close, the submitter's exit) wakes nobody: its direction is
         * armed again if Gs wait in it. */
        struct mn_poll_id id = mn_poll_token_id(token);
        unsigned dir = 1u << id.dir;
        unsigned fired = cqe->res == -ECANCELED ? 0 : dir;
        woken += mn_pollfd_event(id, fired, cqe->flags & IORING_CQE_F_MORE ? 0 : dir);
        events++;
    }
    io_uring_cq_advance(&ring, seen);
    mn_lock_release(&cq_lock);
    mn_stats_note_netpoll(woken);
    if (pass_on && atomic_load(&mn_sched.poll_owner))
        uring_wake();
    return events;
}

/* Until a completion is there (or the timeout, or a signal). */
static void uring_wait(int64_t timeout_ns, uint64_t sigmask)
{
    struct __kernel_timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
    struct getevents_arg arg = {.sigmask = (uintptr_t)&sigmask, .sigmask_sz = sizeof sigmask,
                                .ts = timeout_ns < 0 ? 0 : (uintptr_t)&ts};
    enter(0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    reap(true);
}

static bool uring_poll_now(void)
{
    return reap(false) > 0;
}

/* Completions wait in the queue, or in the kernel's overflow list: two
 * loads of memory shared with the kernel. */
static bool uring_poll_ready(void)
{
    return io_uring_cq_ready(&ring) || overflowed();
}

/* The ring's memory is mapped shared with the kernel, and so with the
 * parent after fork: unmapped here by hand (liburing's exit would close
 * the fd through the program's close, which refuses mnrt's own fds). */
static void uring_forget(void)
{
    mn_raw_syscall(SYS_munmap, ring.sq.sqes, *ring.sq.kring_entries * sizeof *ring.sq.sqes);
    mn_raw_syscall(SYS_munmap, ring.sq.ring_ptr, ring.sq.ring_sz);
    if (ring.cq.ring_ptr && ring.cq.ring_ptr != ring.sq.ring_ptr)
        mn_raw_syscall(SYS_munmap, ring.cq.ring_ptr, ring.cq.ring_sz);
    mn_own_fd_close(&ring_own);
    memset(&ring, 0, sizeof ring);
    multishot = false;
    sq_lock = (mn_lock)MN_LOCK_INIT(SQ);
    cq_lock = (mn_lock)MN_LOCK_INIT(CQ);
}

const struct mn_poller mn_poller_uring = {
    .name = "io_uring",
    .init = uring_init,
    .arm = uring_arm,
    .disarm = uring_disarm,
    .settle = uring_settle,
    .adopt = uring_adopt,
    .wait = uring_wait,
    .poll_now = uring_poll_now,
    .poll_ready = uring_poll_ready,
    .wake = uring_wake,
    .forget = uring_forget,
};
