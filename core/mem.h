/* mnrt's own memory, straight from the kernel (mmap), for what the runtime
 * allocates while it serves a program's call that natively allocates
 * nothing: a lock's unlock that wakes a thread, a sleep's timer, a read's
 * per-fd state. Those calls may come from inside the program's malloc (an
 * allocator that locks with pthread mutexes, as jemalloc does, unlocks in
 * the middle of an allocation); calling that malloc back from there would
 * corrupt it. Also safe from a signal handler. Page-granular: for
 * runtime structures and arrays, not for small frequent objects.
 * Memory comes zeroed. */
#ifndef MN_CORE_MEM_H
#define MN_CORE_MEM_H

#include <stddef.h>

/* size bytes (rounded up to pages), zeroed; NULL when the kernel refuses. */
void *mn_mem_alloc(size_t size);
/* Gives back what mn_mem_alloc(size) returned (NULL: nothing). */
void mn_mem_free(void *p, size_t size);
/* Grows or shrinks p (old bytes of it) to size, keeping the contents; p
 * may be NULL. NULL when the kernel refuses (p is then untouched). */
void *mn_mem_realloc(void *p, size_t old, size_t size);

#endif
