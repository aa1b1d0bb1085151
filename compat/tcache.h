/* glibc malloc's per-thread cache (tcache) of a TCB whose memory goes
 * away: glibc frees a thread's tcache at its exit (tcache_thread_shutdown,
 * not exported); mnrt keeps a finished G's with its TCB for the next G,
 * and frees it here when the TCB itself is given back (core/gblock.h).
 *
 * The layout (malloc/malloc.c, the same in glibc 2.31 to 2.41:
 * counts[64] of uint16_t, then entries[64]; each entry's next pointer
 * first, stored as (its own address >> 12) ^ next from 2.32, plain
 * before) is learned, with the program's first thread, on the fresh TCB
 * that finds malloc's per-thread words (compat/tcb.c), after one malloc
 * and free there: the word that points at such a structure, with that
 * chunk alone in one bin, is the tcache, and the chunk's next, the end of
 * the list, is 0 (plain) or its address >> 12 (mangled). If no word fits,
 * nothing is freed (mn_tcache_release says so) and the caller keeps the
 * words for another TCB.
 *
 * Only with glibc's own malloc (the words exist only then), whose locks
 * are glibc's internal ones, never held by a parked thread: so any thread
 * may free a tcache. */
#ifndef MN_COMPAT_TCACHE_H
#define MN_COMPAT_TCACHE_H

#include <stdbool.h>
#include <stddef.h>

/* With the first thread: tcb has malloc words at these offsets from it,
 * after malloc(size) returned `freed`, which was then freed. */
void mn_tcache_learn(const void *tcb, const ptrdiff_t *words, int n, const void *freed,
                     size_t size);

/* Frees the tcache of tcb (whose thread is gone) and its chunks, and
 * clears the word. Returns false when the layout is not known (nothing
 * done); true also when tcb has none. */
bool mn_tcache_release(void *tcb);

#endif
