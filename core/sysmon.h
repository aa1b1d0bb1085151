/* sysmon (docs/design.md §14): one kernel thread without a P, started when
 * the program makes its first G after the main one, installs a signal
 * handler, first waits in a watched wait (watch.h: for a thread glibc
 * made) or on a process-shared lock, makes a bound call, or asks for the
 * scheduler trace; not when the main G alone first waits for I/O or
 * sleeps (its M waits in the poller itself). Each tick it:
 * - takes the P of an M that sits in a system call (> ~20 us) when there is
 *   other work (or any work after 10 ms), and hands it to another M;
 * - takes the P of an M blocked where mnrt cannot see (docs/design.md §8 kind 3:
 *   same G as last look, its CPU clock stopped, its kernel state S or D);
 * - asks a G that ran its slice without a scheduling point to yield (10
 *   ms; 2 ms while others wait for its P or in the global queue, looked
 *   at when that could end, and when a timer on its P is due; also a G
 *   that lives in short system calls, which yields as one returns) and,
 *   while its M runs and other Gs wait for its P, preempts it by signal
 *   at once and at the next looks until it yields (preempt.h); warns once
 *   about a G that ran a second that way (preemption off, or never at a
 *   safe point);
 * - collects ready I/O when no M did for 10 ms (all of them busy), and
 *   starts an M for timers overdue while no M waits for them;
 * - re-reads the cgroup CPU limit about every second and changes the
 *   number of Ps when it moved (unless MNRT_PROCS fixed it);
 * - prints the scheduler trace when asked; serves thread dumps and the
 *   live view's snapshots asked for by signal (dump.h, stats.h), and
 *   samples which Ps are busy while somebody looks (stats.h);
 * - makes the new Ms that threads which may be inside the program's malloc
 *   cannot make themselves (sched.c, may_make_m_here).
 * - gives each program signal a handler could not run where it landed to
 *   a G (signals.h); its own kernel mask accepts exactly the signals some
 *   G accepts, so that no signal a parked G takes is left with nowhere to
 *   land (it is started when the program installs a handler, too).
 * Ticks start at 20 us after it took a P and double up to 10 ms while there
 * is nothing to take (it looks sooner where a slice may end, and at the
 * earliest timer while no M polls: a timer added meanwhile pokes it); with
 * every P idle it sleeps until poked. */
#ifndef MN_CORE_SYSMON_H
#define MN_CORE_SYSMON_H

#include <stdbool.h>
#include <stdint.h>

bool mn_sysmon_running(void);
/* In the child of fork, once the scheduler is rebuilt: the parent's
 * monitor did not come along. The child's own starts at
 * mn_monitor_fork_child_start, after the program's child handlers
 * (making a thread allocates), if the parent had one or a start was asked
 * before (mn_monitor_ensure: a sigaction, a bound call), else when
 * first needed. */
void mn_monitor_fork_child(void);
void mn_monitor_fork_child_start(void);

/* Ps handed on so far from Ms blocked in a system call mnrt brackets
 * (regular files, waitpid, ...: by sysmon, or by the M itself as a call
 * that waits for a device began), and Ps sysmon took from Ms blocked where
 * mnrt does not see (glibc-internal locks, stdio, raw system calls). */
int64_t mn_sysmon_handoffs(void);
int64_t mn_sysmon_unseen_blocks(void);
/* Prints one trace line (and details) on stderr now (trace.c). */
void mn_schedtrace(bool detail);

#endif
