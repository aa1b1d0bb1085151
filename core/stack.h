/* G stacks (docs/design.md §16): anonymous mappings committed lazily, with a
 * guard region below made by MADV_GUARD_INSTALL (no extra VMA, so 100,000+
 * stacks fit under vm.max_map_count), or by mprotect where the kernel
 * lacks it. A program-provided stack (pthread_attr_setstack) is used as
 * given, without a guard, as glibc does. */
#ifndef MN_CORE_STACK_H
#define MN_CORE_STACK_H

#include <stdbool.h>
#include <stddef.h>

struct mn_stack {
    char *lo;          /* lowest usable byte (just above the guard) */
    size_t size;       /* usable bytes */
    size_t guard;      /* guard bytes below lo (0 for program stacks) */
    bool owned;        /* mapped by mnrt (false: the program's memory) */
};

/* Maps size usable bytes (rounded to pages) with a guard of `guard` bytes.
 * Returns 0 or an errno value (EAGAIN when out of memory or mappings). */
int mn_stack_map(struct mn_stack *s, size_t size, size_t guard);
void mn_stack_unmap(struct mn_stack *s);

/* True when addr lies in s's guard region. */
bool mn_stack_in_guard(const struct mn_stack *s, const void *addr);

size_t mn_page_size(void);

#endif
