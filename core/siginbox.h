/* The inbox of signals a handler could not run where it landed (in
 * mnrt's own code, between two threads, on a thread that is no G:
 * core/signals.h), for sysmon to route. Posting takes no lock and never
 * waits: any signal handler may post.
 *
 * Invariants:
 * - An entry goes FREE -> FILLING (its poster's alone) -> FULL -> FREE
 *   (taken by sysmon, the only taker).
 * - `dirty` is set by a poster after its entry is FULL (or after it found
 *   the inbox full and noted the signal as lost), and cleared by the
 *   taker before it looks at the entries. So an entry that was not FULL
 *   yet when the taker looked leaves `dirty` set behind it, and
 *   mn_siginbox_due() says so until the next look takes it: no entry
 *   stays until some later post. (Before 2026-12-06 the taker remembered
 *   how many posts it had seen; a post counted but not yet FILLING when
 *   it looked was skipped, and the poke that came once it was FULL found
 *   nothing new: the signal waited for the next one.) */
#ifndef MN_CORE_SIGINBOX_H
#define MN_CORE_SIGINBOX_H

#include "core/runtime.h"

#include <signal.h>
#include <stdbool.h>

/* Records sig for sysmon (target NULL: for the process; directed: sent to
 * the target thread itself) and pokes sysmon. */
void mn_siginbox_post(int sig, const siginfo_t *info, mn_g *target, bool directed);

/* Whether something was posted that the last take did not see. */
bool mn_siginbox_due(void);

/* sysmon: hands every posted signal to route, then each signal whose
 * information was lost (the inbox was full) with a kernel-made siginfo
 * and no target. */
void mn_siginbox_take(void (*route)(int sig, const siginfo_t *info, mn_g *target,
                                    bool directed));

/* In the child of fork: empty. */
void mn_siginbox_fork_child(void);

#endif
