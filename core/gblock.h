/* The memory of a G (docs/design.md §16): one mapping holds, from low to
 * high addresses,
 *
 *     guard | stack | static TLS | struct pthread | mn_g | dtv
 *                                ^ thread pointer
 *
 * as glibc lays out its own threads (TCB and TLS at the top of the stack),
 * so that a parked thread costs only the pages at the top that it touched:
 * the page that ends with the dtv's first entries, the mn_g, struct
 * pthread and the modules' TLS blocks, and below it the static TLS surplus
 * (reserved for libraries loaded later, untouched until one is) and the
 * stack's first frames, usually one more page (docs/design.md §16 has the
 * figures). The dtv's other entries lie in the page above, touched only
 * by a process with many TLS modules. A G on a program's own stack
 * (pthread_attr_setstack) has the same mapping without stack and guard.
 *
 * The stack's top is just below the static TLS: its size is the one asked
 * for (pthread_getattr_np reports it), its bottom need not be page
 * aligned (the guard lies below the page of the bottom).
 *
 * Invariants:
 * - The mn_g lives exactly as long as its mapping; mn_gblock_free unmaps
 *   both. Only a G in no list, with no M, waiter or timer pointing at it,
 *   is freed (core/gcache.h decides which, core/g.c does it).
 * - Creation touches the pages of the TCB and mn_g only: the stack's
 *   first page is touched by the G's first context (mn_ctx_make).
 * - A freed G's TCB holds nothing allocated with malloc but glibc malloc's
 *   per-thread words (compat/tcb.h): its tcache is freed
 *   (compat/tcache.h), or, where its layout is unknown, the words go to
 *   the next G made here, so that nothing leaks. */
#ifndef MN_CORE_GBLOCK_H
#define MN_CORE_GBLOCK_H

#include "core/runtime.h"

#include <stdbool.h>
#include <stddef.h>

/* A new zeroed G with its TCB set up (compat/tcb.h), and, if stack_size
 * is not 0, a stack of stack_size bytes with a guard of guard bytes below
 * (both whole pages). NULL when out of memory or mappings. */
mn_g *mn_gblock_new(size_t stack_size, size_t guard);

/* Whether g's memory serves a G that asks for this stack (0: a program's). */
bool mn_gblock_fits(const mn_g *g, size_t stack_size, size_t guard);

/* Gives back the pages of g's stack below the page of its TLS (their
 * content is lost: only for a G that is not running). */
void mn_gblock_release_stack(mn_g *g);

/* Unmaps g and all its memory. */
void mn_gblock_free(mn_g *g);

#endif
