/* Alternate signal stacks (sigaltstack) under M:N. The kernel keeps one per
 * kernel thread; a program keeps one per thread (Rust's std::thread
 * installs one at start and unmaps it at exit, C programs do so for their
 * SIGSEGV handlers). Switching the kernel's at every switch between
 * threads would cost a system call each, so instead:
 * - every M has an alternate stack of mnrt's own, installed when the M
 *   starts and never replaced; mnrt's SIGSEGV handler and every SA_ONSTACK
 *   handler run on it, whichever G was interrupted;
 * - a G's sigaltstack() only records the program's stack in the G
 *   (shim/altstack.c), so a stack the program unmaps is never left
 *   registered on an M that goes on running other Gs;
 * - an M's stack is at least as large as the largest one that the G it
 *   runs asked for: before a G with a larger one runs, its M's grows
 *   (mn_altstack_fit);
 * - a program handler that runs on an M's stack keeps its G on that M
 *   until it is over (returns, is unwound through, or a jump leaves it),
 *   even if it waits (its frames are there), and one
 *   that ends on another M than it began on hands sigreturn that M's
 *   stack to restore (core/sigframes.h, core/signals.c run_handler): no two kernel threads
 *   ever share one. */
#ifndef MN_CORE_ALTSTACK_H
#define MN_CORE_ALTSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mn_m;

/* Gives the calling kernel thread (an M starting) its alternate stack. */
void mn_altstack_init(struct mn_m *m);

/* Whether addr lies on m's alternate stack. */
bool mn_altstack_holds(const struct mn_m *m, uintptr_t addr);

/* Whether the calling code runs on m's alternate stack. */
bool mn_altstack_running_on(const struct mn_m *m);

/* On m's own kernel thread: makes m's stack at least size bytes, unless
 * a handler runs on it now. */
void mn_altstack_fit(struct mn_m *m, size_t size);

/* On m's own kernel thread, which is about to end: gives the stack back. */
void mn_altstack_free(struct mn_m *m);

/* In the child of fork, for an M whose kernel thread did not come along:
 * unmaps its stack (the calling thread's own is left alone). */
void mn_altstack_forget(struct mn_m *m);

#endif
