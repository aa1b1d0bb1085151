/* The program signal handlers running on a G, and which of them a jump
 * (siglongjmp) leaves: g->sig_frames (core/runtime.h).
 *
 * Every program handler that mnrt runs (core/signals.c run_handler, and
 * the handlers of faults through core/faults.c) runs in mn_sig_call_handler's
 * bracket, which a cleanup ends also when the handler is unwound through
 * (a C++ exception thrown out of it, pthread_exit, cancellation: libmnrt
 * is built with -fexceptions). A handler that runs on its
 * M's alternate stack keeps its G on that M (mn_lock_thread) until it is
 * over: its frames are on that M's stack, where the M's next handler would
 * begin (core/altstack.h).
 *
 * Invariants:
 * - A place holds the address of its handler's bracket frame and is never
 *   read through: a handler that never ends (a swapcontext away for good)
 *   leaves a place that may name memory it no longer owns, which stays
 *   until a jump leaves it. Handlers may end in any order (swapcontext
 *   between handlers): an exit takes its own place wherever it is.
 * - A jump leaves the handlers whose frames lie below where it lands on
 *   the stack it lands on. Of two stacks, what lies on the M's alternate
 *   stack is deeper than anything on the G's own (a handler nested in one
 *   on the alternate stack runs there too), and what lies on a third (a
 *   makecontext stack) is left by a jump to the G's own stack. A jump that
 *   lands on a third stack leaves what lies on the alternate stack only
 *   when it is made there: made elsewhere, the handler on the alternate
 *   stack switched away (swapcontext) and may come back, so it keeps its
 *   G on its M. Where
 *   the jump lands is unknown (compat/jmpbuf.h could not check glibc's
 *   buffer), it leaves them all.
 * - Handlers beyond the places are deeper than every placed one; a jump
 *   leaves them when it leaves the innermost placed one. */
#ifndef MN_CORE_SIGFRAMES_H
#define MN_CORE_SIGFRAMES_H

#include "core/runtime.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Runs the program's handler `a` for sig on g, the calling G (NULL: on
 * no G, unbracketed), in its bracket. */
void mn_sig_call_handler(mn_g *g, const struct sigaction *a, int sig, siginfo_t *info,
                         void *uc);

/* How many of g's handlers, innermost first, a jump made at stack pointer
 * `from` to stack pointer `to` (0: unknown) leaves. */
int mn_sig_handlers_left_by_jump(mn_g *g, uintptr_t to, uintptr_t from);
/* g jumps from `from` to `to` out of its n innermost handlers (as counted
 * by mn_sig_handlers_left_by_jump): they are over, with the interruptible
 * waits they had registered (waiter.c block_g, before it parked; waiters
 * lie on their waiting code's stack); the waits it lands in go on. */
void mn_sig_leave_handlers(mn_g *g, int n, uintptr_t to, uintptr_t from);

/* g ends (its thread exits) inside handlers: all of them are over. */
void mn_sig_handlers_end(mn_g *g);

#endif
