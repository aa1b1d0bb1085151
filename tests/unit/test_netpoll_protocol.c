/* The netpoller's lost-wake-up rules (syscalls/pollfd.h, docs/design.md
 * §9), each as one scripted interleaving: pollfd.c runs against a
 * recording backend (fake_poller.h) that reports readiness only when the
 * script delivers it (mn_pollfd_event, as io_uring's or epoll's reaper
 * does), and the waiting and closing threads are plain kernel threads
 * (waiters work the same for them: core/waiter.h) stopped at the test
 * points of core/testpoint.h. No test depends on timing: a deadline of
 * 1 ns is already over, so a wait that should not have slept reports
 * ETIMEDOUT instead of hanging. */
#include "fake_poller.h"
#include "script.h"

#include "core/kthread.h"
#include "core/runtime.h"
#include "syscalls/pollfd.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAST 1 /* an absolute CLOCK_MONOTONIC deadline long over */
#define READ_BIT (1u << MN_DIR_READ)
#define WRITE_BIT (1u << MN_DIR_WRITE)

/* The read end of a fresh pipe (the write end stays open for the test). */
static int pipe_fd(void)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    return p[0];
}

static uint32_t gen_of(struct mn_pollfd *pd)
{
    mn_lock_acquire(&pd->lock);
    uint32_t gen = pd->gen;
    mn_lock_release(&pd->lock);
    return gen;
}

/* A notification of the registrations in slot 0 (no move made another). */
static int event(uint32_t index, uint32_t gen, unsigned dirs, unsigned spent)
{
    return mn_pollfd_event((struct mn_poll_id){.index = index, .gen = gen}, dirs, spent);
}

static int event_slot(struct mn_pollfd *pd, int slot, unsigned dirs, unsigned spent)
{
    return mn_pollfd_event((struct mn_poll_id){.index = pd->index, .gen = gen_of(pd), .slot = slot},
                           dirs, spent);
}

static bool queued(struct mn_pollfd *pd, int dir)
{
    mn_lock_acquire(&pd->lock);
    bool any = pd->queue[dir] != NULL;
    mn_lock_release(&pd->lock);
    return any;
}

/* ---- a waiting thread ---- */

struct waiter_thread {
    pthread_t t;
    struct mn_pollfd *pds[2];
    int dirs[2];
    uint32_t seqs[2];
    int n;
    int64_t deadline;
    int result;
    _Atomic bool done;
};

static void *wait_main(void *arg)
{
    struct waiter_thread *w = arg;
    struct mn_pollnode nodes[2];
    w->result = mn_pollfd_wait_any(w->pds, w->dirs, w->seqs, nodes, w->n, w->deadline);
    atomic_store(&w->done, true);
    script_note();
    return NULL;
}

/* Starts a thread that waits for pds[i] in READ with the seqs as they are now. */
static void start_waiter(struct waiter_thread *w, struct mn_pollfd **pds, int n,
                         int64_t deadline)
{
    w->n = n;
    w->deadline = deadline;
    for (int i = 0; i < n; i++) {
        w->pds[i] = pds[i];
        w->dirs[i] = MN_DIR_READ;
        w->seqs[i] = mn_pollfd_seq(pds[i], MN_DIR_READ);
    }
    atomic_store(&w->done, false);
    cr_assert_eq(pthread_create(&w->t, NULL, wait_main, w), 0);
}

static int join_waiter(struct waiter_thread *w)
{
    pthread_join(w->t, NULL);
    return w->result;
}

/* ---- the rules ---- */

/* Readiness that comes after the caller read seq and before it queues
 * bumps seq, and the wait returns at once: the G tries again.
 * (Caught with wait_any's seq re-check removed: ETIMEDOUT.) */
Test(netpoll_protocol, readiness_before_queueing)
{
    fake_reset();
    struct mn_pollfd *pd = mn_pollfd_get(pipe_fd());
    uint32_t seq = mn_pollfd_seq(pd, MN_DIR_READ);
    event(pd->index, gen_of(pd), READ_BIT, 0); /* nobody waits yet */
    cr_assert_eq(mn_pollfd_wait(pd, MN_DIR_READ, seq, PAST), 0, "a notification was lost");
    cr_assert(!queued(pd, MN_DIR_READ), "a node stayed queued");
    cr_assert_eq(atomic_load(&fake.arms), 0, "armed for readiness already seen");
}

/* poll() on two fds: the first fires while the waiter has queued on it
 * but not yet on the second. The wait returns (the waiter was woken
 * before it slept), and leaves no node on the second fd's queue, which
 * would point into a returned stack frame. (Caught with the
 * cancel_nodes after the block removed: a node stayed queued.) */
Test(netpoll_protocol, readiness_between_two_fds)
{
    fake_reset();
    struct mn_pollfd *pds[2] = {mn_pollfd_get(pipe_fd()), mn_pollfd_get(pipe_fd())};
    struct script_stop *between = script_stop_at(MN_TP_POLLFD_QUEUED, pds[0]);
    struct waiter_thread w;
    start_waiter(&w, pds, 2, -1);
    script_wait(between);
    cr_assert_eq(fake_arms_of(pds[0]->index, gen_of(pds[0]), MN_DIR_READ), 1);
    cr_assert_eq(event(pds[0]->index, gen_of(pds[0]), READ_BIT, 0), 1,
                 "the queued waiter was not woken");
    script_go(between);
    cr_assert_eq(join_waiter(&w), 0);
    cr_assert(!queued(pds[0], MN_DIR_READ));
    cr_assert(!queued(pds[1], MN_DIR_READ), "a node of a finished wait stayed queued");
}

/* The deadline passes, and readiness comes before the timed-out waiter
 * takes its nodes out: the notification has dequeued it, so it won, and
 * the wait reports readiness, not a timeout (one winner: waiter.h).
 * (Caught with cancel_nodes ignoring a fired node: ETIMEDOUT.) */
Test(netpoll_protocol, readiness_races_deadline)
{
    fake_reset();
    struct mn_pollfd *pd = mn_pollfd_get(pipe_fd());
    struct script_stop *deadline = script_stop_at(MN_TP_WAITER_DEADLINE, NULL);
    struct waiter_thread w;
    start_waiter(&w, &pd, 1, PAST);
    script_wait(deadline);
    cr_assert_eq(event(pd->index, gen_of(pd), READ_BIT, 0), 1);
    script_go(deadline);
    cr_assert_eq(join_waiter(&w), 0, "the waker won, but the wait timed out");
    cr_assert(!queued(pd, MN_DIR_READ));
}

/* A notification for a pollfd's earlier life (it was closed and reused
 * for another fd since) changes nothing: the waiter on the new fd stays
 * queued and seq stays. One for the current life wakes it. (Caught with
 * the generation check of mn_pollfd_event removed.) */
Test(netpoll_protocol, stale_event_after_recycle)
{
    fake_reset();
    int fd1 = pipe_fd();
    struct mn_pollfd *pd = mn_pollfd_get(fd1);
    cr_assert_eq(mn_pollfd_wait(pd, MN_DIR_READ, mn_pollfd_seq(pd, MN_DIR_READ), PAST),
                 ETIMEDOUT);
    uint32_t old_gen = gen_of(pd), index = pd->index;
    cr_assert_eq(fake_arms_of(index, old_gen, MN_DIR_READ), 1);
    mn_pollfd_put(pd);
    mn_pollfd_close(fd1); /* epoll-like: nothing pending, recycled at once */
    close(fd1);

    struct mn_pollfd *again = mn_pollfd_get(pipe_fd());
    cr_assert_eq(again, pd, "the pool did not reuse the pollfd");
    cr_assert_eq(gen_of(pd), old_gen + 1, "recycling did not change the generation");
    struct script_stop *block = script_stop_at(MN_TP_POLLFD_BLOCK, NULL);
    struct waiter_thread w;
    start_waiter(&w, &pd, 1, -1);
    script_wait(block);
    uint32_t seq = mn_pollfd_seq(pd, MN_DIR_READ);
    cr_assert_eq(event(index, old_gen, READ_BIT, READ_BIT), 0,
                 "a stale notification woke a waiter");
    cr_assert_eq(mn_pollfd_seq(pd, MN_DIR_READ), seq, "a stale notification counted");
    cr_assert(queued(pd, MN_DIR_READ));
    script_go(block);
    cr_assert_eq(event(index, old_gen + 1, READ_BIT, 0), 1);
    cr_assert_eq(join_waiter(&w), 0);
}

/* epoll's one-shot registration covers both directions: an event for
 * the write direction spends the read direction's too, and a reader
 * still waiting must be armed again, or it would never hear of its data.
 * (Caught with the re-arm in mn_pollfd_event removed.) */
Test(netpoll_protocol, spent_direction_is_armed_again)
{
    fake_reset();
    struct mn_pollfd *pd = mn_pollfd_get(pipe_fd());
    struct script_stop *block = script_stop_at(MN_TP_POLLFD_BLOCK, NULL);
    struct waiter_thread w;
    start_waiter(&w, &pd, 1, -1);
    script_wait(block);
    uint32_t gen = gen_of(pd);
    cr_assert_eq(fake_arms_of(pd->index, gen, MN_DIR_READ), 1);
    cr_assert_eq(event(pd->index, gen, WRITE_BIT, READ_BIT | WRITE_BIT), 0);
    cr_assert_eq(fake_arms_of(pd->index, gen, MN_DIR_READ), 2,
                 "a spent direction with a waiter was not armed again");
    script_go(block);
    cr_assert_eq(event(pd->index, gen, READ_BIT, READ_BIT), 1);
    cr_assert_eq(join_waiter(&w), 0);
}

/* A direction the poller cannot watch (arm fails) counts as ready: the
 * waiters are woken at once and try again. (Caught with the fire after a
 * failed arm removed: ETIMEDOUT.) */
Test(netpoll_protocol, failed_arm_fires)
{
    fake_reset();
    fake.arm_ok = false;
    struct mn_pollfd *pd = mn_pollfd_get(pipe_fd());
    cr_assert_eq(mn_pollfd_wait(pd, MN_DIR_READ, mn_pollfd_seq(pd, MN_DIR_READ), PAST), 0,
                 "waiters of an fd that cannot be polled slept");
    cr_assert_eq(atomic_load(&fake.arms), 1);
    cr_assert(!pd->armed[MN_DIR_READ]);
}

struct closer {
    pthread_t t;
    int fd;
    _Atomic bool done;
};

static void *close_main(void *arg)
{
    struct closer *c = arg;
    mn_pollfd_close(c->fd);
    atomic_store(&c->done, true);
    script_note();
    return NULL;
}

/* Starts a thread that closes fd and lets it run until its close stops
 * at the draining point of pd (or returns, which the caller asserts
 * against); returns that stop, for script_go. */
static struct script_stop *close_until_draining(struct closer *c, int fd, struct mn_pollfd *pd)
{
    struct script_stop *draining = script_stop_at(MN_TP_CLOSE_DRAINING, pd);
    c->fd = fd;
    atomic_store(&c->done, false);
    cr_assert_eq(pthread_create(&c->t, NULL, close_main, c), 0);
    SCRIPT_AWAIT(script_stopped(draining) || atomic_load(&c->done));
    return draining;
}

/* Whether pd is still draining in generation gen. */
static bool still_draining(struct mn_pollfd *pd, uint32_t gen)
{
    mn_lock_acquire(&pd->lock);
    bool still = pd->draining && pd->gen == gen;
    mn_lock_release(&pd->lock);
    return still;
}

/* io_uring: a poll registration holds the file until its last
 * completion. A close of an armed fd cancels it and returns only once
 * that final completion came (a completion that says more will follow,
 * or one of the pollfd's earlier life, does not end it); then it asks the
 * backend to settle with the thread that armed it, and the pollfd goes
 * back to the pool in a new generation. (Caught with the draining check
 * of mn_pollfd_event weakened to "any event ends it", and with retire
 * recycling at once whatever disarm says.) */
Test(netpoll_protocol, close_waits_for_final_completion)
{
    fake_reset();
    fake.disarm_pending = true;
    int fd = pipe_fd();
    struct mn_pollfd *pd = mn_pollfd_get(fd);
    cr_assert_eq(mn_pollfd_wait(pd, MN_DIR_READ, mn_pollfd_seq(pd, MN_DIR_READ), PAST),
                 ETIMEDOUT);
    cr_assert(pd->armed[MN_DIR_READ], "a multishot registration outlives its waiter");
    pid_t owner = pd->owner[MN_DIR_READ];
    mn_pollfd_put(pd);
    uint32_t gen = gen_of(pd);

    struct closer c;
    struct script_stop *draining = close_until_draining(&c, fd, pd);
    cr_assert(!atomic_load(&c.done), "close returned while the kernel held the file");
    cr_assert_eq(atomic_load(&fake.disarms), 1);
    script_go(draining);

    cr_assert_eq(event(pd->index, gen - 1, READ_BIT, READ_BIT), 0);
    cr_assert_eq(event(pd->index, gen, READ_BIT, 0), 0); /* more to come */
    cr_assert(still_draining(pd, gen), "the close ended before the registration's final completion");
    cr_assert(!atomic_load(&c.done));

    event(pd->index, gen, READ_BIT, READ_BIT); /* the final one */
    pthread_join(c.t, NULL);
    cr_assert_eq(gen_of(pd), gen + 1);
    cr_assert_eq(atomic_load(&fake.settles), 1);
    cr_assert_eq(fake.settled[MN_DIR_READ], owner, "settled with another thread");
    cr_assert_eq(fake.settled[MN_DIR_WRITE], 0);
    cr_assert_eq(mn_pollfd_get(pipe_fd()), pd, "the pollfd did not go back to the pool");
}

/* io_uring moves a registration whose thread sleeps idle to the thread
 * of a G about to wait (poller.h, adopt): the new one is armed before the
 * old one is cancelled, so for a while both are in the kernel. The old
 * one's end must neither un-arm the direction (the new one goes on: a
 * re-arm would leave a third registration) nor end a close's drain: the
 * close returns only when both ended, and settles with both threads.
 * (Caught with mn_pollfd_event ignoring the slot: "the retired
 * registration's end un-armed the direction"; and with retire ignoring
 * `retiring`: the close returned early.) */
Test(netpoll_protocol, moved_registration_drains_both)
{
    fake_reset();
    fake.disarm_pending = true;
    fake.adopt_moves = true;
    int fd = pipe_fd();
    struct mn_pollfd *pd = mn_pollfd_get(fd);
    cr_assert_eq(mn_pollfd_wait(pd, MN_DIR_READ, mn_pollfd_seq(pd, MN_DIR_READ), PAST),
                 ETIMEDOUT);
    cr_assert_eq(mn_pollfd_wait(pd, MN_DIR_READ, mn_pollfd_seq(pd, MN_DIR_READ), PAST),
                 ETIMEDOUT);
    cr_assert_eq(atomic_load(&fake.moves), 1);
    cr_assert_eq(atomic_load(&fake.arms), 1);
    int old = !pd->slot[MN_DIR_READ];

    /* the retired registration reports readiness (it was there first),
     * then ends */
    cr_assert_eq(event_slot(pd, old, READ_BIT, READ_BIT), 0);
    mn_lock_acquire(&pd->lock);
    bool armed = pd->armed[MN_DIR_READ], retiring = pd->retiring[MN_DIR_READ];
    mn_lock_release(&pd->lock);
    cr_assert(armed, "the retired registration's end un-armed the direction");
    cr_assert(!retiring);

    /* a second move; the new registration ends (nobody waits: it stays
     * un-armed), then a close while the old one retires */
    cr_assert_eq(mn_pollfd_wait(pd, MN_DIR_READ, mn_pollfd_seq(pd, MN_DIR_READ), PAST),
                 ETIMEDOUT);
    cr_assert_eq(atomic_load(&fake.moves), 2);
    cr_assert_eq(atomic_load(&fake.arms), 1, "a move is no arm of pollfd.c's");
    int current = pd->slot[MN_DIR_READ];
    cr_assert_eq(event_slot(pd, current, 0, READ_BIT), 0);
    mn_pollfd_put(pd);
    uint32_t gen = gen_of(pd);
    struct closer c;
    struct script_stop *draining = close_until_draining(&c, fd, pd);
    cr_assert(!atomic_load(&c.done), "the close returned while the retired registration held the file");
    script_go(draining);
    cr_assert(still_draining(pd, gen));
    event_slot(pd, !current, 0, READ_BIT); /* the retired one ends */
    pthread_join(c.t, NULL);
    cr_assert_eq(gen_of(pd), gen + 1);
    cr_assert_eq(fake.settled[MN_DIR_READ], 0);
    cr_assert_eq(fake.settled[2 + MN_DIR_READ], mn_kthread_self(),
                 "not settled with the retired registration's thread");
    cr_assert_eq(mn_pollfd_get(pipe_fd()), pd, "the pollfd did not go back to the pool");
}

/* A close of an fd a thread is blocked on keeps the file for it, as
 * Linux does: the pollfd moves to a hidden duplicate of the same file,
 * the waiter stays queued and is woken by the next notification, and
 * the duplicate is closed when that last user leaves. (Caught with
 * mn_pollfd_put not closing the duplicate.) */
Test(netpoll_protocol, close_while_blocked_keeps_the_file)
{
    fake_reset();
    int fd = pipe_fd();
    struct stat before;
    cr_assert_eq(fstat(fd, &before), 0);
    struct mn_pollfd *pd = mn_pollfd_get(fd);
    struct script_stop *block = script_stop_at(MN_TP_POLLFD_BLOCK, NULL);
    struct waiter_thread w;
    start_waiter(&w, &pd, 1, -1);
    script_wait(block);
    script_go(block);

    mn_pollfd_close(fd);
    close(fd);
    int hidden = atomic_load(&pd->fd);
    struct stat after;
    cr_assert(hidden != fd && hidden >= 0);
    cr_assert_eq(fstat(hidden, &after), 0);
    cr_assert(after.st_ino == before.st_ino, "the duplicate is another file");
    cr_assert(queued(pd, MN_DIR_READ), "the blocked waiter was woken by the close");
    cr_assert(!atomic_load(&w.done));

    cr_assert_eq(event(pd->index, gen_of(pd), READ_BIT, 0), 1);
    cr_assert_eq(join_waiter(&w), 0);
    mn_pollfd_put(pd); /* the waiter's call ends: its user goes */
    cr_assert_eq(fcntl(hidden, F_GETFD), -1, "the hidden duplicate stayed open");
    cr_assert_eq(errno, EBADF);
}
