/* Watched waits: a G parks on a word that code mnrt does not see may
 * release (docs/design.md §8, kind 3: glibc's stdio locks, whose inline
 * unlock wakes only the kernel's waiters). The G parks as on any futex
 * word (waitq.h), so the wake-ups mnrt makes reach it; and sysmon looks
 * at every watched word at each of its ticks, at most MN_WATCH_NS apart
 * while any is watched, and wakes one waiter of a word that no longer
 * holds the value its waiters wait on. A release mnrt does not see is
 * so noticed late, never lost. The first word watched starts sysmon
 * where nothing had (a main G alone, waiting for a thread glibc made).
 *
 * Invariants: a slot counts the Gs between their registration and the
 * end of their wait, under watch_lock (a leaf: docs/lock-order.md);
 * sysmon reads the words themselves without it. */
#ifndef MN_CORE_WATCH_H
#define MN_CORE_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define MN_WATCH_NS (1000 * 1000)

/* On a G: parks while *word == val, until a wake-up on word (mn_ufutex_wake)
 * or sysmon sees the word change. Returns 0 when woken, EAGAIN if *word
 * != val already. Spurious wake-ups happen: callers re-check. */
int mn_watch_wait(_Atomic uint32_t *word, uint32_t val, const char *reason);

/* Whether any word is watched now (sysmon then sleeps at most
 * MN_WATCH_NS; the first word watched starts or pokes it). */
bool mn_watch_active(void);
/* sysmon, at each tick: wakes a waiter of every watched word that
 * changed. */
void mn_watch_poll(void);

/* Waits that parked so (mnrt_get_stats). */
int64_t mn_watch_waits(void);

/* In the child of fork: nothing is watched (the waiters were the parent's). */
void mn_watch_fork_child(void);

#endif
