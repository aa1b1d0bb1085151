/* mn_lock: mnrt's internal mutual exclusion for short critical sections
 * (scheduler lists, wait-queue buckets, timer heaps). A three-state futex
 * lock (0 free, 1 held, 2 held with sleepers) that spins briefly, then
 * sleeps in the kernel. It blocks the kernel thread, never parks a G:
 * so nothing may park (switch to another G) while holding one.
 *
 * Every lock has a rank (core/lockrank.h, the one table of them, and
 * docs/lock-order.md), given where it is initialised: MN_LOCK_INIT(rank).
 * A build with -Dlockrank=true checks the order of every acquisition.
 *
 * Every acquire and release is counted in the M running the caller
 * (mn_m.locks; nothing on a thread that is no M): the count is the M's,
 * not a thread-local one, because a G's TLS is its own and the M's
 * signal handlers must see it from whatever runs (g0, a G, a G finishing
 * a direct switch). mn_tls_held points at it from the TLS of whatever
 * runs for the M: g0's TLS from the M's start, a G's from the moment the
 * M is about to run it (sched.c begin_running); NULL in other threads. A
 * lock is released by the M that took it, and no lock is held across a
 * switch between Gs (lockrank.h). The preemption signal leaves an M whose
 * count is not 0 alone (preempt.h), and so does the program's signal
 * handler (signals.h): counted before taking, uncounted after releasing. */
#ifndef MN_CORE_LOCK_H
#define MN_CORE_LOCK_H

#include "core/lockrank.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef MN_LOCKRANK
typedef struct {
    _Atomic uint32_t state;
    enum mn_lockrank rank;
} mn_lock;
#define MN_LOCK_INIT(r) {0, MN_RANK_##r}
#define MN_LOCK_RANK(l) ((l)->rank)
#else
typedef struct {
    _Atomic uint32_t state;
} mn_lock;
#define MN_LOCK_INIT(r) {0}
#define MN_LOCK_RANK(l) MN_RANK_NONE
#endif

/* What an M holds: the count, and with lock ranks the list (lockrank.h);
 * sigmask_stale: a signal handler blocked, in this thread's kernel mask,
 * a signal it could only pass on (the M held a lock, or ran no G:
 * signals.h), so m->sigmask is not the kernel's until set again: by the
 * last release of a lock in a G (mn_sigmask_reopen), the M's next G or
 * its sleep (sched.c). */
struct mn_held {
    int count;
    volatile bool sigmask_stale;
#ifdef MN_LOCKRANK
    struct mn_lockrank_held ranks;
#endif
};

void mn_lock_slow(mn_lock *l);
void mn_unlock_slow(mn_lock *l);
/* sched.c: sets the running G's mask on its kernel thread again (in g0,
 * nothing: the M's next G or sleep sets it). */
void mn_sigmask_reopen(void);
extern __thread struct mn_held *mn_tls_held;

/* Adds delta to the lock count of the M running the caller. */
static inline void mn_lock_count(int delta)
{
    struct mn_held *held = mn_tls_held;
    if (held)
        held->count += delta;
}

static inline void mn_lock_acquire(mn_lock *l)
{
    mn_lock_count(1);
    atomic_signal_fence(memory_order_seq_cst);
    mn_lockrank_acquire(l, MN_LOCK_RANK(l), false);
    uint32_t zero = 0;
    if (!atomic_compare_exchange_strong_explicit(&l->state, &zero, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        mn_lock_slow(l);
}

static inline bool mn_lock_try(mn_lock *l)
{
    uint32_t zero = 0;
    mn_lock_count(1); /* before: a signal handler never finds it held uncounted */
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_compare_exchange_strong_explicit(&l->state, &zero, 1, memory_order_acquire,
                                                memory_order_relaxed)) {
        mn_lockrank_acquire(l, MN_LOCK_RANK(l), true);
        return true;
    }
    mn_lock_count(-1);
    return false;
}

/* Ends what mn_lock_count(1) began: after the last, signals held off
 * meanwhile (a program's handler never runs while the count is not 0) are
 * let in. */
static inline void mn_lock_uncount(void)
{
    atomic_signal_fence(memory_order_seq_cst);
    mn_lock_count(-1);
    struct mn_held *held = mn_tls_held;
    atomic_signal_fence(memory_order_seq_cst);
    if (held && __builtin_expect(held->sigmask_stale, 0) && held->count == 0)
        mn_sigmask_reopen();
}

static inline void mn_lock_release(mn_lock *l)
{
    if (atomic_exchange_explicit(&l->state, 0, memory_order_release) == 2)
        mn_unlock_slow(l);
    mn_lockrank_release(l, MN_LOCK_RANK(l));
    mn_lock_uncount();
}

static inline void mn_cpu_relax(void)
{
    __builtin_ia32_pause();
}

#endif
