/* Lock ranks (Go's lockrank.go): the one table of every lock the runtime
 * takes for itself, in the order they may nest. docs/lock-order.md is
 * this table with what each lock guards and through which calls the
 * nestings happen; tests/lockrank_doc.py fails when the two disagree.
 *
 * The rules, for every lock below:
 * - A thread may acquire a lock only while every lock it holds comes
 *   earlier in the table (outer first). Two locks of one MULTI class nest
 *   in address order (lower address first); nothing at all is acquired
 *   while a LEAF is held. A try (mn_lock_try) never waits, so it may be
 *   made against the order; the lock it took counts as held.
 * - A lock is released by the thread that took it: for an M, by the M,
 *   whichever of its stacks (g0, a G, a G acting as g0 after a direct
 *   switch) runs the release.
 * - No runtime lock is held across a switch between Gs: a G switches away,
 *   g0 switches to a G, and a G resumes its own code only while its M
 *   holds none. So a G, which may run on another M after any switch,
 *   never carries a lock from one M to another.
 *
 * Checked in a build with `-Dlockrank=true` (meson_options.txt), which
 * defines MN_LOCKRANK: every acquisition is checked against the locks
 * held by the M running the caller (the held list is the M's, as the lock
 * count of lock.h; a thread that is no M, sysmon or a foreign thread, has
 * its own), every release against that list, every switch against an
 * empty one; a violation prints
 *     mnrt: fatal: lock order: acquiring X (rank a) while holding Y (rank b)
 * and aborts. In other builds the checks are not compiled at all.
 *
 * Signal handlers take locks too (a program handler's pending signal,
 * g->siglock; a thread dump's turn; a try of sched.allg_lock), on the
 * interrupted thread's list: a handler returns with the list as it found
 * it, and an entry is written before the length that covers it and again
 * after, so a handler that interrupts a push overwrites nothing the
 * interrupted code keeps. */
#ifndef MN_CORE_LOCKRANK_H
#define MN_CORE_LOCKRANK_H

#include <stdbool.h>

/* X(id, name as the code spells the lock, kind): outer first. */
#define MN_LOCK_RANKS(X)                                                                \
    X(SETXID, "mn_setxid_lock", 0)                                                      \
    X(DLOPEN, "mn_dlopen_lock", 0)                                                      \
    X(ACTION, "action_lock", 0)                                                         \
    X(PROGRAM, "program_lock", 0)                                                       \
    X(SIGLOCK, "g->siglock", 0)                                                         \
    X(CQ, "cq_lock", 0)                                                                 \
    X(POLLFD, "pd->lock", 0)                                                            \
    X(POLLER_INIT, "init_lock", 0)                                                      \
    X(SQ, "sq_lock", 0)                                                                 \
    X(JOIN, "g->join_lock", 0)                                                          \
    X(CLOSING, "closing_lock", 0)                                                       \
    X(POOL, "pool_lock", 0)                                                             \
    X(NEW_M, "new_m_lock", 0)                                                           \
    X(MCREATE, "sched.mcreate_lock", 0)                                                 \
    X(WAITQ, "b->lock", MN_RANK_MULTI)                                                  \
    X(TIMERS, "ts->lock", MN_RANK_MULTI)                                                \
    X(ALLG, "sched.allg_lock", 0)                                                       \
    X(SCHED, "sched.lock", 0)                                                           \
    X(PRIVATE_MEMORY, "mn_private_memory_lock", MN_RANK_LEAF)                           \
    X(MASK, "mask_lock", MN_RANK_LEAF)                                                  \
    X(PROC, "proc_lock", MN_RANK_LEAF)                                                  \
    X(WATCH, "watch_lock", MN_RANK_LEAF)                                                \
    X(DUMP, "dump_busy", MN_RANK_LEAF)                                                  \
    X(TRACE, "trace_lock", MN_RANK_LEAF)

/* kinds */
#define MN_RANK_MULTI 1 /* several of the class nest, in address order */
#define MN_RANK_LEAF 2  /* nothing is acquired while one is held */

enum mn_lockrank {
    MN_RANK_NONE, /* a lock nobody ranked: fatal when taken */
#define MN_RANK_ENUM(id, name, kind) MN_RANK_##id,
    MN_LOCK_RANKS(MN_RANK_ENUM)
#undef MN_RANK_ENUM
};

/* The most locks a thread holds at once (fork takes 8). */
#define MN_LOCKRANK_DEPTH 16

struct mn_lockrank_held {
    int n;
    struct {
        const void *lock;
        enum mn_lockrank rank;
    } e[MN_LOCKRANK_DEPTH];
};

#ifdef MN_LOCKRANK
/* Before taking lock (not for a try: try_only records it, unchecked). */
void mn_lockrank_acquire(const void *lock, enum mn_lockrank rank, bool try_only);
/* After releasing lock. */
void mn_lockrank_release(const void *lock, enum mn_lockrank rank);
/* At a switch: M m holds no lock. Says "G g <event> M m" otherwise
 * (event: "switches away from", "resumes on", ...). */
void mn_lockrank_switch(long long g, const char *event, int m);
#else
static inline void mn_lockrank_acquire(const void *lock, enum mn_lockrank rank, bool try_only)
{
}
static inline void mn_lockrank_release(const void *lock, enum mn_lockrank rank)
{
}
static inline void mn_lockrank_switch(long long g, const char *event, int m)
{
}
#endif

#endif
