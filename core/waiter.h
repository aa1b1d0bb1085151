/* A waiter: one thread waiting for one event, whether it is a G (which
 * parks) or a foreign kernel thread (which sleeps on a futex of its own).
 * It lives on the waiting thread's stack (a jump tells by its address
 * whether it leaves the wait: core/sigframes.h).
 *
 * Protocol (no lost wake-ups, no wake-up of a waiter that left):
 * - Whoever removes the waiter from the structure it waits in (a wait
 *   queue, a join slot) decides the outcome: a waker sets result 0, the
 *   timeout path sets ETIMEDOUT. That removal happens under that
 *   structure's lock, so exactly one side wins.
 * - The winner then calls mn_waiter_wake: QUEUED/PARKED -> WOKEN. A G that
 *   was PARKED is readied; one that had not parked yet sees WOKEN in its
 *   park commit and does not park. After mn_waiter_wake the waker never
 *   touches the waiter again.
 * - For a deadline, `cancel` removes the waiter from its structure (under
 *   its lock) and returns true if it was still there: true at most once,
 *   as the deadline and a signal may both try.
 * - An interruptible waiter (intr, with a cancel) is also ended by a signal
 *   its G accepts: the signal side wins the cancel and sets EINTR
 *   (core/signals.h). A waiter in no structure uses mn_waiter_cancel_once,
 *   so that its deadline and a signal race for it alone. */
#ifndef MN_CORE_WAITER_H
#define MN_CORE_WAITER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct mn_g;

enum { MN_WAITER_QUEUED, MN_WAITER_PARKED, MN_WAITER_WOKEN };

struct mn_waiter {
    _Atomic uint32_t state;
    int result;
    struct mn_g *g;                          /* NULL: a foreign thread */
    bool (*cancel)(struct mn_waiter *);      /* NULL: nothing else wakes it */
    const char *reason;
    bool intr;                               /* a signal may end it: EINTR */
    struct mn_waiter *intr_outer;            /* the G's interruptible wait it began
                                              * inside (a handler's), or NULL */
    bool cancel_point;                       /* pthread_cancel may end it too */
    _Atomic bool claimed;                    /* mn_waiter_cancel_once's */

    /* wait-queue fields (waitq.c), under the bucket lock */
    const void *addr;
    struct mn_waiter *next, *prev;           /* FIFO of waiters on addr */
    struct mn_waiter *tail;                  /* in the first waiter only */
    bool woken_ahead;                        /* first waiter only: see waitq.h */
    struct mn_waiter *bnext;                 /* next address in the bucket */
    bool queued;
    uintptr_t tag;                           /* for the object's own use */

    /* what it waits for, for thread dumps (core/dump.h), besides reason:
     * the object (NULL: addr, when it is queued on a wait queue), a number
     * (an fd, a thread id) and the deadline the program gave (INT64_MIN:
     * mn_waiter_block's) */
    const void *obj;
    int64_t num;
    int64_t until;
};

/* Initialises a waiter for the calling thread. */
void mn_waiter_init(struct mn_waiter *w, const char *reason);
/* Waits until woken or until deadline_ns (CLOCK_MONOTONIC, < 0: none).
 * Returns w->result: 0, ETIMEDOUT, or EINTR if w->intr. */
int mn_waiter_block(struct mn_waiter *w, int64_t deadline_ns);
/* Sleeps ns, nobody waking it (a G parks meanwhile, its P runs others):
 * the short naps of a thread that waits for another to finish. */
void mn_waiter_nap(const char *reason, int64_t ns);
/* The cancel of a waiter that sits in no structure: true the first time. */
bool mn_waiter_cancel_once(struct mn_waiter *w);
/* Wakes w; see the protocol above. */
void mn_waiter_wake(struct mn_waiter *w);

#endif
