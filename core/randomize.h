/* Randomized scheduling, a debugging mode (MNRT_DEBUG=randomize=SEED,
 * README): the scheduler takes the choices that its rules leave open at
 * random, and Gs yield at random at scheduling points, so that a program
 * (and mnrt) is run through orders of events that the usual, mostly FIFO
 * schedule rarely produces. Every choice still obeys the scheduler's
 * invariants: each is one that the normal rules could also have made, or
 * a yield where a yield is allowed anyway. What it varies:
 *
 * - where a G goes in its P's queue (sched.c runq_put): runnext or the
 *   tail at random, then the ring turned by a random count (the Gs keep
 *   their cyclic order, each moves to another place);
 * - where schedule() looks first: its own queue, the global queue or a
 *   steal from another P, at random, and a direct switch (which takes
 *   the P's own next G) is skipped at random, so that both paths run;
 * - random yields: a G about to park (before it publishes itself, which
 *   widens the window between its check and its commit), a G that
 *   readied another, and a G at mn_check_preempt (socket and pipe I/O,
 *   leaving a system call) or mn_check_preempt_at_release (unlocks,
 *   condition variable signals, sem_post), where sysmon's ask is taken
 *   only after a failed signal (runtime.h); only where it holds none of mnrt's locks, is in no
 *   system call bracket and runs no signal handler, and only while
 *   sysmon runs, as a yield asked for by sysmon (mn_randomize_yield).
 *
 * Determinism: each M draws from its own generator, seeded from SEED and
 * the M's id, so a run with the same seed makes the same choices in the
 * same order on each M; how the Ms' kernel threads interleave is still
 * the kernel's (MNRT_PROCS=1 makes that matter least).
 *
 * Cost when off: one branch on the global mn_randomize at each of these
 * places. */
#ifndef MN_CORE_RANDOMIZE_H
#define MN_CORE_RANDOMIZE_H

#include <stdbool.h>
#include <stdint.h>

struct mn_m;

/* Set once at boot, before the first M is made; read-only after. */
extern bool mn_randomize;

/* Turns the mode on with seed (before mn_sched_boot). */
void mn_randomize_start(int64_t seed);
/* The generator's start for M number id. */
uint64_t mn_randomize_seed_m(int id);
/* A random bit drawn from the calling thread's M (false on threads that
 * are no M). */
bool mn_randomize_coin(void);
/* The calling G yields one time in four, where a yield is safe. */
void mn_randomize_yield(void);

#endif
