/* The io_uring backend (see poller.h for why only the monitor thread
 * enters the ring). A notification is a one-shot IORING_OP_POLL_ADD per
 * pollfd and direction; its user data is the poll token. The monitor
 * sleeps in the ring; an eventfd, watched by a multishot poll, lets other
 * threads wake it. Ring flags: COOP_TASKRUN (the monitor runs completion
 * work when it enters the ring anyway), or none where the kernel refuses
 * it (FACTS.md).
 *
 * Invariants: sq_lock guards the submission queue (Ms fill it, the monitor
 * submits it); only the monitor reads the completion queue. */
#include "syscalls/poller.h"

#include "compat/log.h"
#include "core/futex.h"
#include "core/lock.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SQ_ENTRIES 4096
#define CQ_ENTRIES 16384
#define TOKEN_WAKE (~0ull)
#define TOKEN_CANCEL (~0ull - 1)

static struct io_uring ring;
static mn_lock sq_lock = MN_LOCK_INIT;
static int wake_fd = -1;
static atomic_bool sleeping;     /* the monitor is (about to be) in the ring */
static atomic_bool wake_pending; /* a wake-up was written and not yet read */

static void arm_wake_fd(void)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    io_uring_prep_poll_multishot(sqe, wake_fd, POLLIN);
    io_uring_sqe_set_data64(sqe, TOKEN_WAKE);
}

static int uring_init(void)
{
    struct io_uring_params p = {0};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN;
    p.cq_entries = CQ_ENTRIES;
    int r = io_uring_queue_init_params(SQ_ENTRIES, &ring, &p);
    if (r == -EINVAL) { /* an older kernel: without the flags */
        struct io_uring_params plain = {0};
        r = io_uring_queue_init_params(SQ_ENTRIES, &ring, &plain);
    }
    if (r < 0)
        return -r;
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd < 0) {
        int err = errno;
        io_uring_queue_exit(&ring);
        return err;
    }
    mn_lock_acquire(&sq_lock);
    arm_wake_fd();
    mn_lock_release(&sq_lock);
    return 0;
}

static void uring_wake(void)
{
    if (!atomic_exchange(&wake_pending, true)) {
        uint64_t one = 1;
        syscall(SYS_write, wake_fd, &one, sizeof one);
    }
}

/* An SQE to fill, with sq_lock held; a full queue waits for the monitor. */
static struct io_uring_sqe *get_sqe(void)
{
    for (;;) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
        if (sqe)
            return sqe;
        mn_lock_release(&sq_lock);
        uring_wake();
        sched_yield();
        mn_lock_acquire(&sq_lock);
    }
}

static void submitted(void)
{
    mn_lock_release(&sq_lock);
    if (atomic_load(&sleeping))
        uring_wake();
}

static bool uring_arm(struct mn_pollfd *pd, int dir)
{
    mn_lock_acquire(&sq_lock);
    struct io_uring_sqe *sqe = get_sqe();
    unsigned mask = dir == MN_DIR_READ ? POLLIN | POLLRDHUP | POLLPRI : POLLOUT;
    io_uring_prep_poll_add(sqe, atomic_load(&pd->fd), mask);
    io_uring_sqe_set_data64(sqe, mn_poll_token(pd->index, pd->gen, dir));
    submitted();
    return true; /* a file that cannot be polled completes at once */
}

static void uring_disarm(struct mn_pollfd *pd)
{
    mn_lock_acquire(&sq_lock);
    for (int dir = 0; dir < 2; dir++) {
        if (!pd->armed[dir])
            continue;
        struct io_uring_sqe *sqe = get_sqe();
        io_uring_prep_cancel64(sqe, mn_poll_token(pd->index, pd->gen, dir), 0);
        io_uring_sqe_set_data64(sqe, TOKEN_CANCEL);
    }
    submitted();
}

static void complete(const struct io_uring_cqe *cqe)
{
    uint64_t token = io_uring_cqe_get_data64(cqe);
    if (token == TOKEN_CANCEL)
        return;
    if (token == TOKEN_WAKE) {
        uint64_t n;
        atomic_store(&wake_pending, false);
        syscall(SYS_read, wake_fd, &n, sizeof n);
        if (!(cqe->flags & IORING_CQE_F_MORE)) { /* the multishot poll ended */
            mn_lock_acquire(&sq_lock);
            arm_wake_fd();
            mn_lock_release(&sq_lock);
        }
        return;
    }
    /* Any result wakes the waiters: readiness, or an error (-ECANCELED when
     * a submitter went away, -EBADF after a close): they try again. */
    mn_pollfd_event((uint32_t)(token & 0xffffffffu) >> 1, (uint32_t)(token >> 32),
                    1u << (token & 1), false);
}

static void uring_wait(int64_t timeout_ns)
{
    atomic_store(&sleeping, true);
    mn_lock_acquire(&sq_lock);
    io_uring_submit(&ring);
    mn_lock_release(&sq_lock);
    struct io_uring_cqe *cqe;
    if (timeout_ns < 0) {
        io_uring_wait_cqe(&ring, &cqe);
    } else {
        struct __kernel_timespec ts = {timeout_ns / 1000000000, timeout_ns % 1000000000};
        io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
    }
    atomic_store(&sleeping, false);
    unsigned head, seen = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
        complete(cqe);
        seen++;
    }
    io_uring_cq_advance(&ring, seen);
}

const struct mn_poller mn_poller_uring = {
    .name = "io_uring",
    .init = uring_init,
    .arm = uring_arm,
    .disarm = uring_disarm,
    .wait = uring_wait,
    .wake = uring_wake,
};
