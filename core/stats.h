/* The live view's snapshot (issue 14, item 3: `mnrt top PID`, in
 * tools/launcher/top.c): the scheduler's state and counters as text, one
 * "key value..." line each, written to the tool on request, about once a
 * second while it runs.
 *
 * How the tool asks: through the thread dump's channel (dump.h), a
 * request with the MN_DUMP_STATS flag; sysmon connects to the tool's
 * socket and writes a snapshot instead of a dump. Chosen over a
 * shared-memory block because that would cost the program when nobody
 * looks: a memfd is an fd in the program's table (which daemons close
 * with closefrom, and tests count), a file under /dev/shm outlives a
 * crash, and either must be kept current by somebody, each tick, or
 * only once a reader has announced itself, which needs a channel
 * anyway. Nothing runs until a request comes; then one signal (its
 * handler posts the request and returns) and one snapshot on sysmon per
 * screen.
 *
 * What is counted only while somebody looks (WATCH_NS after the last
 * snapshot; mn_stats_watched): the time each P is busy (held by an M),
 * sampled by sysmon at its ticks (20 us to 10 ms apart while a P is busy,
 * up to a second while all are idle), the state at each tick counting
 * until the next; and the threads the netpoller woke, one atomic add per
 * batch of readiness events that woke any. The rest are the scheduler's
 * own counters; the tool divides their differences by the time between
 * two snapshots.
 *
 * The CPU time of threads is shown for threads whose time is accounted
 * (cputime.h: the ones that asked for it, or all with
 * MNRT_DEBUG=cputime=1): the snapshot lists the CPU_TOP that used the most
 * since the previous snapshot (g->stats_cpu keeps what each had then).
 *
 * Invariants: as a thread dump, a snapshot takes no lock a G could hold
 * and allocates nothing (it runs on sysmon, or in the handler itself
 * while there is no sysmon); what it reads may be slightly inconsistent.
 * One snapshot at a time; g->stats_cpu and g->stats_id are written by
 * snapshots only, the samples by sysmon only. */
#ifndef MN_CORE_STATS_H
#define MN_CORE_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* The first line of a snapshot, and its last. */
#define MN_STATS_HEADER "mnrt-stats 1\n"
#define MN_STATS_END "end\n"

extern _Atomic bool mn_stats_watch;
extern _Atomic int64_t mn_stats_netpoll_woken;

/* Whether somebody looks at the live view now. */
static inline bool mn_stats_watched(void)
{
    return atomic_load_explicit(&mn_stats_watch, memory_order_relaxed);
}

/* The netpoller woke n threads (a batch of readiness events). */
static inline void mn_stats_note_netpoll(int n)
{
    if (n > 0 && mn_stats_watched())
        atomic_fetch_add_explicit(&mn_stats_netpoll_woken, n, memory_order_relaxed);
}

/* sysmon, at each tick: samples whether each P is busy, while watched. */
void mn_stats_sample(int64_t now);

/* Writes one snapshot to fd (a socket if sock). Returns 0, or the errno
 * of a failed write. */
int mn_stats_write(int fd, bool sock);

/* In the child of fork: nobody looks, nothing sampled (the parent's). */
void mn_stats_fork_child(void);

#endif
