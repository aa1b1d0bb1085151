/* The fake tids of Gs and the table from tid to G.
 *
 * Each G's TCB carries a unique fake tid (docs/glibc-facts.md §5), above
 * any real one (pid_max is at most 2^22) and below FUTEX_OWNER_DIED, so
 * that it never looks like a kernel tid. A G keeps its tid while its
 * memory lives (across reuse); when that memory is given back
 * (core/gcache.h) the tid goes to a later new G. Tids are handed out
 * lowest first, so that after a burst of threads the tids in use are few
 * and low, and a page of the table whose tids are all free is given back:
 * the table costs memory for the Gs that exist, not for the most that ever
 * did. The table (tid - base: the G's index, mn_g_index) serves per-G CPU
 * clocks (core/cputime.h), whose ids name a G by its index.
 *
 * Invariants:
 * - sched.lock guards which tids are in use and the count per page of the
 *   table; slots are written by the G's creator and whoever gives back its
 *   memory, and read without a lock (a slot reads NULL, or a G).
 * - A tid's slot is set (mn_gtid_set) after mn_gtid_get and cleared before
 *   mn_gtid_put: a page whose tids are all free holds only NULLs, and is
 *   given back under sched.lock, before any of its tids is handed out
 *   again.
 * - Every tid below mn_gtid_base() + the high-water mark was handed out
 *   once: a TCB whose tid lies there is (or was) a G's (mn_tcb_is_g). */
#ifndef MN_CORE_GTID_H
#define MN_CORE_GTID_H

#include "core/runtime.h"

/* A free tid, the lowest; 0 when all 16 M are in use. */
pid_t mn_gtid_get(void);
/* Makes tid's slot name g (or NULL). */
void mn_gtid_set(pid_t tid, mn_g *g);
/* tid is free again (its slot already NULL). Under sched.lock. */
void mn_gtid_put_locked(pid_t tid);
/* The G whose index (tid - base) is i, or NULL. */
mn_g *mn_gtid_g(uint32_t i);
/* Whether tid is one a G has or had. */
bool mn_gtid_was_handed_out(pid_t tid);
pid_t mn_gtid_base(void);

#endif
