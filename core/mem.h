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

#include <stdbool.h>
#include <stddef.h>

/* size bytes (rounded up to pages), zeroed; NULL when the kernel refuses. */
void *mn_mem_alloc(size_t size);
/* Gives back what mn_mem_alloc(size) returned (NULL: nothing). */
void mn_mem_free(void *p, size_t size);
/* Grows or shrinks p (old bytes of it) to size, keeping the contents; p
 * may be NULL. NULL when the kernel refuses (p is then untouched). */
void *mn_mem_realloc(void *p, size_t old, size_t size);

/* A temporary array for one call (iovecs, poll sets): the calling G's
 * scratch memory, kept with the G for its next calls (no system call
 * once it is large enough), or, on another thread or when the G's is in
 * use (a signal handler's call inside a call), memory of its own. */
struct mn_buf {
    void *p;
    size_t size;
    bool scratch;
};
void *mn_buf_get(struct mn_buf *b, size_t size);
void mn_buf_put(struct mn_buf *b);

#endif
