/* The execution trace (issue 14, item 2; Go's runtime/trace): with
 * MNRT_TRACE=FILE the scheduler records what it does - a thread (G) made,
 * started, stopped (parked, with the wait's reason; yielded, preempted,
 * exited), readied; a steal, a handoff, a preemption signal, a netpoller
 * collection; a P idle or busy; an M started, asleep, ended - and the
 * process writes it when it ends as Chrome trace-event JSON
 * (exectrace_json.c) into FILE (exectrace_file.h: which file, when).
 *
 * Where events go:
 * - One ring per P, written only by the thread that holds the P in the
 *   RUNNING state (its M on g0, or a G that claimed its P back from USER):
 *   the same discipline as the P's run-queue tail, so no lock and no
 *   atomic read-modify-write. A hook decides by the P's status word at
 *   the moment it records: RUNNING with this M as owner, or not the P's.
 * - One shared ring, under trace_lock (a leaf: nothing is taken under it,
 *   docs/lock-order.md), for every other place: sysmon, foreign threads,
 *   an M without a P (idle, polling), a G whose P sysmon took. Its events
 *   name the P they are about (a handoff, a P going idle), or none.
 * - A ring keeps its last MN_XT_RING (shared: MN_XT_SHARED) events: when it
 *   wraps, the oldest are overwritten, and the file says how many each
 *   ring lost. Events of one ring are in time order (one writer at a time,
 *   or the lock, and the time is read while the slot is owned).
 * - Each slot has a sequence word: 0 while it is written, its position +
 *   1 once it is whole. The file's writer reads rings while other threads
 *   may still record (exit() runs while they run): it keeps a slot only
 *   if the word named the expected position before and after its copy.
 *
 * Time: the TSC (rdtsc: 13 ns on the project's VM, against 35 for
 * clock_gettime, which was most of an event's cost) when the kernel keeps
 * time with it (clocksource tsc: invariant, the same on every CPU), turned
 * into CLOCK_MONOTONIC ns when the file is written, along the line
 * through both clocks' readings at the start and then; elsewhere
 * clock_gettime(CLOCK_MONOTONIC). rdtsc is not ordered with the
 * instructions around it: the file's writer makes each ring's times
 * non-decreasing, so a few cycles' disorder never reorders a P's events.
 *
 * Ready -> run: a ready (or creation) records its own ring and position
 * in the G (g->xt_ready) before the G is queued; the G's next start
 * records it, so the file draws an arrow from the ready to the run it
 * caused.
 *
 * Wait reasons are recorded as pointers: they are string literals that
 * live as long as the process (as thread dumps assume too).
 *
 * Signal handlers: mnrt's own never record. A program's handler may (a
 * sem_post there readies a thread), but it runs only where its G holds
 * no mnrt lock and its P is USER (signals.h): never inside a hook that
 * writes a P's ring (RUNNING) or holds trace_lock (counted in the M).
 * The file may be written from a handler (exectrace_file.h).
 *
 * Off (MNRT_TRACE unset, or after the file was written): every hook is one
 * load of mn_xtrace_on and a branch not taken. */
#ifndef MN_CORE_EXECTRACE_H
#define MN_CORE_EXECTRACE_H

#include "core/runtime.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define MN_XT_RING 32768             /* events per P (64 bytes each: 2 MiB) */
#define MN_XT_SHARED 16384           /* events of the shared ring */
#define MN_XT_SHARED_RING MN_MAX_PROCS /* the shared ring's index, after the Ps' */

enum mn_xt_type {
    MN_XT_CREATE = 1, /* a: new G's id, b: creator's id (0: none) */
    MN_XT_READY,      /* a: G id, b: the reason it waited (const char *), flags: MN_XT_BY_POLL */
    MN_XT_START,      /* a: G id, b: its ready (MN_XT_REF) or 0, c,d: its name (16 bytes) */
    MN_XT_STOP,       /* a: G id, b: wait reason (park), flags: enum mn_xt_stop */
    MN_XT_STEAL,      /* a: G taken, b: victim P, c: Gs taken in all */
    MN_XT_HANDOFF,    /* p: taken by sysmon, a: its G's id, b: the M it had, flags: 1 unseen */
    MN_XT_PREEMPT,    /* p, a: G id, b: M id (sysmon sent the preemption signal) */
    MN_XT_NETPOLL,    /* a: when the collection began, b: Gs readied (-1: some) */
    MN_XT_P_BUSY,     /* p taken by m */
    MN_XT_P_IDLE,     /* p given back */
    MN_XT_M_START,    /* m: a: its kernel tid */
    MN_XT_M_SLEEP,    /* m woke: a: since when it slept, b: Gs it readied, flags: enum mn_xt_sleep */
    MN_XT_M_EXIT,     /* m's kernel thread ends */
};

enum mn_xt_stop { MN_XT_PARK, MN_XT_YIELD, MN_XT_PREEMPTED, MN_XT_EXIT, MN_XT_CALL, MN_XT_NO_P };
enum mn_xt_sleep { MN_XT_IDLE_M, MN_XT_POLL_M, MN_XT_LOCKED_M };
#define MN_XT_BY_POLL 1              /* READY: by the netpoller */

/* Who recorded an event without being an M (the m field). */
#define MN_XT_SYSMON (-1)
#define MN_XT_FOREIGN (-2)

struct mn_xt_event {
    _Atomic uint64_t seq;            /* 0: being written; else position + 1 */
    int64_t ts;                      /* mn_xt_now()'s clock: mn_xt_ns makes it ns */
    uint64_t a, b, c, d, e;
    int32_t m;                       /* M id, or MN_XT_SYSMON / MN_XT_FOREIGN */
    int16_t p;                       /* P id, -1: none */
    uint8_t type;                    /* enum mn_xt_type */
    uint8_t flags;
};

/* A ready's place, kept in g->xt_ready: (ring + 1) << 48 | position. */
#define MN_XT_REF(ring, pos) ((uint64_t)((ring) + 1) << 48 | (uint64_t)(pos))
#define MN_XT_REF_RING(ref) ((int)((ref) >> 48) - 1)
#define MN_XT_REF_POS(ref) ((ref) & ((1ull << 48) - 1))

extern _Atomic bool mn_xtrace_on;
#define MN_XT_ON() atomic_load_explicit(&mn_xtrace_on, memory_order_relaxed)

/* --- set-up (exectrace.c) --- */
/* At boot, before the main thread becomes a G: claims the file named by
 * MNRT_TRACE (exectrace_file.h) and turns recording on; a file that
 * cannot be made gets one `mnrt: ...` line and no trace. */
void mn_xtrace_boot(const char *file);
/* In the child of fork, first thing: its own trace (FILE.PID), from empty
 * rings (the parent's events are the parent's). */
void mn_xtrace_fork_child(void);
/* Turns recording off for good (the file is being written); returns
 * whether it was on. */
bool mn_xtrace_turn_off(void);

/* --- reading the rings (for exectrace_json.c) --- */
struct mn_xt_ring;
/* The ring with that index (0 .. MN_MAX_PROCS-1: a P's; MN_XT_SHARED_RING),
 * or NULL if it was never used; its size and next position. */
struct mn_xt_ring *mn_xt_ring(int index);
uint32_t mn_xt_ring_size(const struct mn_xt_ring *r);
uint64_t mn_xt_ring_head(const struct mn_xt_ring *r);
/* Its first position recorded by this process (after a fork: the next
 * position then; the parent's events before it are not the child's). */
uint64_t mn_xt_ring_base(const struct mn_xt_ring *r);
/* Copies the event at pos into *out if it is whole and still there. */
bool mn_xt_ring_read(const struct mn_xt_ring *r, uint64_t pos, struct mn_xt_event *out);
/* When recording began (the file's time zero), CLOCK_MONOTONIC ns. */
int64_t mn_xt_start_ns(void);
/* Reads the clocks once more, for mn_xt_ns (when the file is written). */
void mn_xt_clock_freeze(void);
/* A time of mn_xt_now()'s clock in CLOCK_MONOTONIC ns. */
int64_t mn_xt_ns(int64_t t);

/* --- the recording side of the hooks below --- */
void mn_xt_rec_ready(mn_g *g, bool create);
void mn_xt_rec_start(mn_m *m, mn_g *g);
void mn_xt_rec_stop(mn_g *g, enum mn_m_action action);
void mn_xt_rec_steal(mn_m *m, int victim, mn_g *g);
void mn_xt_rec_handoff(mn_p *p, uint64_t word, bool unseen);
void mn_xt_rec_preempt(mn_p *p, mn_m *m, mn_g *g);
void mn_xt_rec_netpoll(int64_t since, int64_t readied);
void mn_xt_rec_p(mn_p *p, mn_m *m, bool busy);
void mn_xt_rec_m(mn_m *m, enum mn_xt_type type, int64_t since, int64_t readied, int kind);
int64_t mn_xt_now(void);

/* --- hooks: one call each where the scheduler acts --- */

/* g is made runnable (create: for the first time), before it is queued. */
static inline void mn_xtrace_ready(mn_g *g, bool create)
{
    if (__builtin_expect(MN_XT_ON(), 0))
        mn_xt_rec_ready(g, create);
}

/* g starts running on m (m holds its P RUNNING). */
static inline void mn_xtrace_start(mn_m *m, mn_g *g)
{
    if (__builtin_expect(MN_XT_ON(), 0))
        mn_xt_rec_start(m, g);
}

/* g switches away (its reason: the action, and its wait reason). */
static inline void mn_xtrace_stop(mn_g *g, enum mn_m_action action)
{
    if (__builtin_expect(MN_XT_ON(), 0))
        mn_xt_rec_stop(g, action);
}

/* m's P stole g (and maybe more, now in its queue) from P victim. */
static inline void mn_xtrace_steal(mn_m *m, int victim, mn_g *g)
{
    if (__builtin_expect(MN_XT_ON(), 0))
        mn_xt_rec_steal(m, victim, g);
}

/* p was handed on (word: its status before) from an M blocked in a system
 * call (by sysmon, or by the M as a call that waits for a device began),
 * or sysmon took it from an M blocked where mnrt does not see (unseen). */
static inline void mn_xtrace_handoff(mn_p *p, uint64_t word, bool unseen)
{
    if (__builtin_expect(MN_XT_ON(), 0))
        mn_xt_rec_handoff(p, word, unseen);
}

/* sysmon sent m, running g on p, the preemption signal. */
static inline void mn_xtrace_preempt(mn_p *p, mn_m *m, mn_g *g)
{
    if (__builtin_expect(MN_XT_ON(), 0))
        mn_xt_rec_preempt(p, m, g);
}

/* The time a span hooked below began (0 when off). */
static inline int64_t mn_xtrace_now(void)
{
    return __builtin_expect(MN_XT_ON(), 0) ? mn_xt_now() : 0;
}

/* A netpoller collection that began at since readied readied Gs (-1:
 * some, 0: none: nothing is recorded). */
static inline void mn_xtrace_netpoll(int64_t since, int64_t readied)
{
    if (__builtin_expect(MN_XT_ON(), 0) && since && readied)
        mn_xt_rec_netpoll(since, readied);
}

/* p becomes busy (m took it; m holds it RUNNING) or idle. */
static inline void mn_xtrace_p(mn_p *p, mn_m *m, bool busy)
{
    if (__builtin_expect(MN_XT_ON(), 0))
        mn_xt_rec_p(p, m, busy);
}

/* m started (MN_XT_M_START), ended (MN_XT_M_EXIT), or woke from a sleep
 * of that kind that began at since (MN_XT_M_SLEEP), having readied
 * readied Gs meanwhile. */
static inline void mn_xtrace_m(mn_m *m, enum mn_xt_type type, int64_t since, int64_t readied,
                               int kind)
{
    if (__builtin_expect(MN_XT_ON(), 0) && (type != MN_XT_M_SLEEP || since))
        mn_xt_rec_m(m, type, since, readied, kind);
}

#endif
