/* The program signal handlers running on a G, and which of them a jump
 * (siglongjmp) leaves: g->sig_frames (core/runtime.h).
 *
 * Every program handler that mnrt runs on a G (core/signals.c run_handler,
 * and a SIGSEGV handler through core/overflow.c) is bracketed by
 * mn_sig_handler_enter and mn_sig_handler_exit. A handler that runs on its
 * M's alternate stack keeps its G on that M (mn_lock_thread) until it is
 * over: its frames are on that M's stack, where the M's next handler would
 * begin (core/altstack.h).
 *
 * Invariants:
 * - A place holds the address of a frame of its handler's bracket, and
 *   is never read through: a handler that ended without its exit (a C++
 *   exception thrown out of it, a swapcontext away for good) leaves a
 *   place that names memory it no longer owns, which then stays until a
 *   jump leaves it. Handlers may end in any order (swapcontext between
 *   handlers): an exit takes its own place wherever it is.
 * - A jump leaves the handlers whose frames lie below where it lands, on
 *   the stack it lands on; everything on the M's alternate stack lies
 *   deeper than anything on the G's own, since a handler nested in one on
 *   the alternate stack runs there too. Where the jump lands is unknown
 *   (compat/jmpbuf.h could not check glibc's buffer), it leaves them all.
 * - Handlers beyond the places are deeper than every placed one and
 *   count as left by any jump. */
#ifndef MN_CORE_SIGFRAMES_H
#define MN_CORE_SIGFRAMES_H

#include "core/runtime.h"

#include <stdbool.h>
#include <stdint.h>

/* A handler's entry, in its bracket's frame (its address is where the
 * frame lies); read only by the handler's own exit. */
struct mn_sig_entry {
    bool placed; /* it holds a place */
    bool pinned; /* it keeps the G on its M */
};

/* A program handler begins on g, the calling G. */
void mn_sig_handler_enter(mn_g *g, struct mn_sig_entry *e);
/* The handler that entered with e returned. */
void mn_sig_handler_exit(mn_g *g, const struct mn_sig_entry *e);

/* How many of g's handlers, innermost first, a jump to stack pointer sp
 * (0: unknown) leaves. */
int mn_sig_handlers_left_by_jump(const mn_g *g, uintptr_t sp);
/* g jumps to sp out of its n innermost handlers (as counted by
 * mn_sig_handlers_left_by_jump): they are over, with the interruptible
 * waits they had registered (waiter.c block_g, before it parked; waiters
 * lie on their waiting code's stack); the waits it lands in go on. */
void mn_sig_leave_handlers(mn_g *g, int n, uintptr_t sp);

#endif
