/* Wait queues keyed by address (docs/design.md §7, like Go's semaphore table):
 * synchronisation objects keep no queue of their own, so they fit in
 * glibc's object sizes. A fixed table of buckets, each with a lock and a
 * list of the distinct addresses waited on in it; per address a FIFO of
 * waiters (waiter.h).
 *
 * On top of it, mn_ufutex_*: futex semantics (wait while *word == val)
 * for Gs and foreign threads alike, on which mutexes, rwlocks, semaphores,
 * barriers and once are built as glibc builds them on kernel futexes.
 *
 * Invariants: a waiter is queued in at most one bucket; `queued` and the
 * links change only under its bucket's lock; the check that decides to
 * wait runs under the same lock as the wake-up, so no wake-up is lost. */
#ifndef MN_CORE_WAITQ_H
#define MN_CORE_WAITQ_H

#include "core/waiter.h"

#include <stdbool.h>
#include <stdint.h>

/* Queues w on addr if check(arg) is true (under the bucket lock; a NULL
 * check always queues). Returns true if queued. Sets w->cancel so that a
 * deadline can take it out again. */
bool mn_waitq_enqueue(struct mn_waiter *w, const void *addr, bool (*check)(void *), void *arg);
/* Wakes up to n waiters on addr in FIFO order; returns how many. */
int mn_waitq_wake(const void *addr, int n);
/* Moves waiters of `from` beyond the first n_wake to `to` (which must be a
 * different address); wakes the first n_wake. Returns how many woke. */
int mn_waitq_requeue(const void *from, const void *to, int n_wake);
/* True if anybody waits on addr (a hint; takes the bucket lock). */
bool mn_waitq_has_waiters(const void *addr);

/* Waits on addr if check(arg) holds under the bucket lock (NULL: always).
 * Returns 0 when woken, EAGAIN if check failed, ETIMEDOUT at deadline_ns
 * (CLOCK_MONOTONIC, < 0: none). A signal that the G takes ends the wait
 * as a spurious wake-up (0), after its handler ran, as the handler of a
 * thread blocked in a lock runs natively (core/signals.h). */
int mn_waitq_wait(const void *addr, bool (*check)(void *), void *arg, int64_t deadline_ns,
                  const char *reason);

/* Futex on an mnrt-private word: returns 0 when woken (or after a signal's
 * handler, as above), EAGAIN if *word != val at the time of the call,
 * ETIMEDOUT at deadline_ns (CLOCK_MONOTONIC, < 0: none). */
int mn_ufutex_wait(_Atomic uint32_t *word, uint32_t val, int64_t deadline_ns,
                   const char *reason);
/* The same, ended with EINTR by a signal the G takes (core/signals.h). */
int mn_ufutex_wait_intr(_Atomic uint32_t *word, uint32_t val, int64_t deadline_ns,
                        const char *reason);
int mn_ufutex_wake(_Atomic uint32_t *word, int n);

/* Locks on a word with glibc's three states (0 free, 1 locked, 2 locked
 * and maybe waited for: shim/mutex.c), with Go's sync.Mutex "a waiter is
 * awake already" mark (mutexWoken), kept in the word's queue (in its
 * first waiter) rather than in the lock's memory, which an unlocker may
 * no longer touch once it released the word (another thread may take,
 * release and free the lock meanwhile, as POSIX allows).
 *
 * mn_lock_release_contended releases the word and wakes the first waiter,
 * marking the queue, unless it is marked already; the woken waiter calls
 * mn_lock_unmark before its next attempt. The mark is true only while a
 * waiter it woke has not unmarked (a queue that empties forgets it; a
 * queue made anew starts unmarked), so an unlocker that skips its
 * wake-up knows that waiter will try the word after the release and
 * either take it or wait behind an owner that will wake. Wrong the other
 * way round it costs only an extra wake-up.
 *
 * Not Go's starvation mode (the lock handed to a waiter that waited 1 ms,
 * the word never released meanwhile): a lock handed over belongs to a
 * thread that may not run soon, and sysmon locks the program's malloc
 * lock when it makes an M (glibc's pthread_create allocates) while it may
 * hold the P whose queue has that thread: a hang (foreign_malloc_locking
 * hung so). Barging, as glibc's mutexes, lets sysmon through. */
/* Waiters wait with mn_ufutex_wait(word, 2, ...). */
/* The owner's release of a word that is 2 (release of 1 is a plain
 * compare-and-swap to 0): releases it and wakes a waiter as above.
 * Returns how many it woke (0 or 1). */
int mn_lock_release_contended(_Atomic uint32_t *word);
void mn_lock_unmark(_Atomic uint32_t *word);

/* After fork in the child: every queued waiter belonged to a thread that
 * no longer exists. */
void mn_waitq_reset(void);

#endif
