/* The per-P local run queue (docs/design.md §5, Go's runq): a runnext slot and a
 * 256-slot ring.
 *
 * Invariants:
 * - Only the owner P puts into the ring and advances `tail`; the owner and
 *   thieves take from `head` with a CAS, so a G is taken exactly once.
 * - runnext is taken (by the owner or a thief) with a CAS (or, by the
 *   owner, an exchange).
 * - A G is in at most one queue at a time (the caller guarantees it). */
#ifndef MN_CORE_RUNQ_H
#define MN_CORE_RUNQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct mn_g;

#define MN_RUNQ_SIZE 256

struct mn_runq {
    _Atomic uint32_t head;
    _Atomic uint32_t tail;
    _Atomic(struct mn_g *) runnext;
    _Atomic(struct mn_g *) ring[MN_RUNQ_SIZE];
};

/* Owner only. Puts g into runnext (next) or at the tail. If the ring is
 * full, half of it plus g are moved to overflow[] (room for
 * MN_RUNQ_SIZE/2 + 1) and their number is returned, for the caller to move
 * to the global queue; otherwise returns 0. */
int mn_runq_put(struct mn_runq *q, struct mn_g *g, bool next, struct mn_g **overflow);

/* Owner only. Takes runnext first, then the head of the ring. *from_next
 * says which (a G from runnext inherits the time slice). NULL if empty. */
struct mn_g *mn_runq_get(struct mn_runq *q, bool *from_next);

/* Owner only. Moves the G in runnext, if any, to the tail of the ring
 * (overflow and return value as mn_runq_put). */
int mn_runq_demote_next(struct mn_runq *q, struct mn_g **overflow);

/* Owner only. Moves the G at the head of the ring to its tail, n times
 * (or fewer, when thieves empty it meanwhile): randomized scheduling's
 * shuffle (randomize.h). */
void mn_runq_rotate(struct mn_runq *q, uint32_t n);

/* Any thread. Moves about half of victim's queue to dst (which the caller
 * owns) and returns one G of them to run now, or NULL. runnext is taken
 * only when steal_next is set; victim_running says the victim is busy
 * running a G (then a short sleep first, so that it may run its runnext
 * itself, as Go does). */
struct mn_g *mn_runq_steal(struct mn_runq *dst, struct mn_runq *victim, bool steal_next,
                           bool victim_running);

bool mn_runq_empty(struct mn_runq *q);
uint32_t mn_runq_len(struct mn_runq *q);

#endif
