/* Stacks (docs/design.md §16): anonymous mappings committed lazily, with a
 * guard region below made by MADV_GUARD_INSTALL (no extra VMA, so 100,000+
 * stacks fit under vm.max_map_count), or by mprotect where the kernel
 * lacks it. A G's stack is the low part of the mapping that also holds its
 * TCB, TLS and descriptor (core/gblock.h), taken from a reserve mapped
 * many at a time (mn_stack_take_region); an M's g0 has a mapping of its
 * own (mn_stack_map). A program-provided stack (pthread_attr_setstack) is
 * used as given, without a guard, as glibc does. The main thread's stack
 * is the kernel's; its bounds are found by glibc's rule when first needed
 * (mn_stack_of_main_thread). */
#ifndef MN_CORE_STACK_H
#define MN_CORE_STACK_H

#include <stdbool.h>
#include <stddef.h>

struct mn_stack {
    char *lo;          /* lowest usable byte (at or above the guard) */
    size_t size;       /* usable bytes */
    size_t guard;      /* guard bytes just below the page of lo (0: none) */
    bool owned;        /* mapped by mnrt (false: the program's memory) */
};

/* Maps len bytes (whole pages) whose lowest `guard` bytes are a guard
 * region. Returns the mapping, or NULL when out of memory or mappings. */
char *mn_stack_map_region(size_t len, size_t guard);

/* The same for the regions of Gs (core/gblock.c), many alike: those of
 * the first few kinds asked for (length and guard) are mapped
 * RESERVE_BATCH at a time (stack.c), one mmap, one change of the
 * process's mappings and, where the kernel has process_madvise for the
 * calling process (6.15+), one call for all their guards, for each batch
 * rather than each G. A region is unmapped as any other, alone. */
char *mn_stack_take_region(size_t len, size_t guard);

/* Maps size usable bytes (rounded to pages) with a guard of `guard` bytes.
 * Returns 0 or an errno value (EAGAIN when out of memory or mappings). */
int mn_stack_map(struct mn_stack *s, size_t size, size_t guard);
void mn_stack_unmap(struct mn_stack *s);

/* The main thread's stack as glibc's pthread_getattr_np describes it:
 * from the page above the initial stack pointer (__libc_stack_end) down
 * by RLIMIT_STACK, less what lies above that page in its mapping, and no
 * lower than the end of the mapping below, rounded to pages; no guard.
 * Reads /proc/self/maps (core/lowfd.h: no malloc, no stdio). Returns
 * false when that mapping is not found. */
bool mn_stack_of_main_thread(struct mn_stack *s);

/* True when addr lies in s's guard region. */
bool mn_stack_in_guard(const struct mn_stack *s, const void *addr);

size_t mn_page_size(void);
size_t mn_round_page(size_t n);

#endif
