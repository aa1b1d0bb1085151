/* Finished Gs kept for reuse (docs/design.md §16), with their memory
 * (core/gblock.h: stack, TCB, descriptor), as Go keeps dead gs: the free
 * list. How many it keeps follows the recent peak of live threads, and
 * what goes beyond is given back once the program no longer needs it.
 * sysmon looks about twice a second (mn_gcache_trim):
 *
 * - peak: the most Gs alive at once since the last look, noted as Gs
 *   start.
 * - bound: the Gs that the recent peak says may be wanted again,
 *   estimate - live, where the estimate is the peak since the last look,
 *   or half the previous estimate if that is more, while Gs are being made;
 *   and just the live count once a look finds that none was made since the
 *   one before (idle). At least HOT Gs stay.
 * - Beyond the bound, the coldest Gs leave the list, for the caller to free
 *   (core/g.c: munmap). Of those that stay, the stacks' pages are given
 *   back (MADV_DONTNEED: only the pages of TCB and descriptor stay) for
 *   those past the HOT most recently finished that were in the list at the
 *   look before already (not fresh from a burst that may go on), and on an
 *   idle look for all of them.
 *
 * So the memory of a burst of threads is given back half a second to a
 * second after the last thread was made; what stays is HOT Gs of a few KB
 * each: RSS returns to its level before the burst (tools/bench/burst).
 *
 * Invariants (under sched.lock, which guards the list):
 * - The list is ordered by when each G entered it, most recent first; Gs
 *   are taken from the front (their pages are the likeliest resident).
 * - The Gs whose stack was given back form the list's tail: only a segment
 *   that ends at that tail is given back, and new ones enter at the front.
 * - A G in the list is IDLE, in no other list, and referenced by nothing
 *   of the runtime but the list (a stale pthread_t of the program may
 *   still name it, as glibc's stack cache keeps descriptors). */
#ifndef MN_CORE_GCACHE_H
#define MN_CORE_GCACHE_H

#include "core/runtime.h"

/* A G from the list whose memory fits this stack (core/gblock.h), taken
 * out of it, or NULL (then a new one must be made). */
mn_g *mn_gcache_get(size_t stack_size, size_t guard);

/* Puts a finished G at the front of the list. */
void mn_gcache_put(mn_g *g);

/* A G started: live Gs are now `live` (follows the peak). */
void mn_gcache_note_live(int64_t live);

/* sysmon's look, about twice a second: gives back the stacks of cold Gs and
 * returns the Gs beyond the bound, out of the list and linked by
 * schedlink, for the caller to free. */
mn_g *mn_gcache_trim(void);

/* Gs in the list (for statistics). */
int mn_gcache_count(void);
/* Whether the list holds memory a look could give back (sysmon then looks
 * again within the trim period even when every P is idle). A hint, read
 * without the lock. */
bool mn_gcache_holds_more(void);

#endif
