/* Test points: named places inside the runtime's protocols where a unit
 * test may stop the thread that reaches them, to script one interleaving
 * of the park/ready protocol, the direct switch, the netpoller's
 * arm/event/close and the timer heap (tests/unit/script.h runs the
 * scripts; docs/design.md §6, §7, §9 state the protocols).
 *
 * MN_TEST_POINT(point, arg) is empty in the library: only the unit tests
 * compile the files that have points (core/sched.c, core/waiter.c,
 * core/timer.c, core/siginbox.c, syscalls/pollfd.c) a second time with MN_TEST_POINTS
 * defined (tests/unit/meson.build), where it calls mn_test_point, which
 * the test harness defines. A point takes no lock and holds none of its
 * own; each says below what holds where it is, which is what a script may
 * rely on while a thread is stopped there. `arg` names the object the
 * point is about, so a script can stop one particular thread. */
#ifndef MN_CORE_TESTPOINT_H
#define MN_CORE_TESTPOINT_H

enum mn_test_point {
    /* sched.c after_switch, a park: g (arg) is WAITING, off its stack, its
     * commit not yet run; on g0, or in the G a direct switch went to */
    MN_TP_PARK_COMMIT,
    /* right after g's (arg) commit published it: it may be readied now */
    MN_TP_PARK_COMMITTED,
    /* sched.c mn_park: g (arg) has handed its commit to its M and is about
     * to switch away: still on its stack, its P still USER; a program
     * signal handler must not run on it here (it could park or yield the
     * G, and the switch would then go on with another commit or M) */
    MN_TP_PARK_SWITCH,
    /* sched.c finish_direct_switch: the G switched to runs, in g0's role,
     * before it handles the request of the G it replaced (arg) */
    MN_TP_DIRECT_SWITCH,
    /* sched.c mn_startm_new: a new kernel thread is about to be made to
     * run P arg, which is nobody's meanwhile (IDLE, in no idle list): the
     * maker may wait here, in the program's malloc or glibc's loader
     * lock, for as long as some G holds them */
    MN_TP_STARTM_NEW,
    /* sched.c poll_sleep: M arg is the poll owner; it has read every P's
     * earliest timer and not yet published the deadline it will sleep
     * to (poll_until). A timer started now, which its reading may have
     * missed, must break the sleep (mn_timer_start) */
    MN_TP_POLL_UNTIL,
    /* waiter.c: the deadline of waiter arg passed (a foreign thread's
     * futex wait timed out, or a G's timer fired), before it tries to
     * cancel the wait: a waker may still win */
    MN_TP_WAITER_DEADLINE,
    /* waiter.c block_g: the interruptible waiter arg is its G's registered
     * wait (signals.c mn_sig_wait_begin), the G not yet parked; a program
     * signal handler may run on it here, and wait itself */
    MN_TP_WAIT_INTR_BEGUN,
    /* pollfd.c wait_any: the node on pollfd arg is queued and armed, the
     * pollfd's lock released; the pollfds after it are not looked at yet */
    MN_TP_POLLFD_QUEUED,
    /* pollfd.c wait_any: every node is queued, the waiter (arg) about to
     * block */
    MN_TP_POLLFD_BLOCK,
    /* pollfd.c: a close retired pollfd arg, whose registrations the
     * kernel still holds (draining): the closer is about to wait for
     * their last completions */
    MN_TP_CLOSE_DRAINING,
    /* timer.c mn_timer_del: timer arg was WAITING in the heap it names;
     * that heap's lock is not taken yet (a move may come first) */
    MN_TP_TIMER_DEL_LOCK,
    /* timer.c mn_timer_del: timer arg is RUNNING: del waits for its
     * callback to return (reached at every look) */
    MN_TP_TIMER_DEL_WAITS,
    /* timer.c mn_timers_run: timer arg is out of its heap and RUNNING,
     * the heap's lock released, its callback not yet called */
    MN_TP_TIMER_FIRE,
    /* siginbox.c mn_siginbox_post: entry arg is the poster's, counted in
     * the inbox but not yet claimed (still FREE): a take may look now */
    MN_TP_SIGINBOX_POST,
    MN_TP_COUNT
};

#ifdef MN_TEST_POINTS
void mn_test_point(enum mn_test_point point, const void *arg);
#define MN_TEST_POINT(point, arg) mn_test_point(point, arg)
#else
#define MN_TEST_POINT(point, arg) ((void)0)
#endif

#endif
