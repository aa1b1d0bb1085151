/* Deadlock detection (docs/design.md §16): when every P is idle, nothing is
 * runnable, no timer is pending or firing (timer.h) and no G waits for I/O
 * or a watched word (watch.h), the Gs can only be woken by a kernel
 * thread that is not mnrt's, or by a signal handler. If there is neither,
 * nothing will ever run again: mnrt says so, lists the threads and what
 * they wait for, and exits with status 2, as Go does. A G in sigsuspend
 * or pause waits for a signal by design (to be killed, say): no report
 * then, the process waits as it would natively.
 *
 * Those reads take no lock that would stop the Gs: the check holds only
 * if every G was parked before them and after, and none parked again in
 * between (g->parks), so that they all saw one state. */
#ifndef MN_CORE_DEADLOCK_H
#define MN_CORE_DEADLOCK_H

/* Called by the idle M about to sleep without a deadline while all Ps are
 * idle and all run queues empty. Does not return on a deadlock. */
void mn_deadlock_check(void);

#endif
