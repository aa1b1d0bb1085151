/* One glibc thread descriptor (TCB: struct pthread + static TLS + dtv) per
 * G, so that errno, __thread variables, C++ thread_local objects, stdio
 * lock owners, malloc's per-thread cache and dlerror are each G's own
 * (docs/design.md §10; docs/glibc-facts.md §2-§3).
 *
 * Layout facts come from what the running glibc says about itself (its
 * libthread_db descriptors, compat/glibc_syms.h) where it says it, and are
 * probed and checked against it where it does not, never taken from one
 * glibc version; a fact that cannot be found and checked makes mn_tcb_boot
 * or mn_tcb_threads_begin refuse, naming it.
 *
 * Invariants:
 * - mn_tcb_boot runs once, on the main thread, before any G or M exists.
 *   mn_tcb_threads_begin runs until it succeeds or refuses, one call at a
 *   time, before the first G after the main one is made; it needs a thread glibc makes itself, which also ends glibc's
 *   single-threaded mode (stdio and malloc without locks) - never before a
 *   second G could run, and not at all in a program that makes no thread.
 *   Afterwards the layout is read-only.
 * - glibc's malloc words are kept only when glibc's malloc is the
 *   program's (a foreign allocator keeps its own state in plain TLS).
 * - A TCB is used by one G at a time. mn_tcb_recycle is called only for a
 *   TCB whose G has finished (its TLS destructors ran on the G itself).
 * - malloc's per-thread cache and arena pointers survive recycling, so a
 *   recycled TCB never leaks its tcache (docs/glibc-facts.md §4); a TCB
 *   whose memory goes away hands them on (mn_tcb_malloc_take) or has its
 *   tcache freed (compat/tcache.h).
 * - A TCB made by mn_tcb_create_at lives in memory mnrt owns, with its
 *   dtv there too (compat/dtv.h: glibc never reallocs or frees it), and
 *   once its G ended nothing in it was allocated with malloc but the
 *   malloc words (mn_tcb_free_on_exit). */
#ifndef MN_COMPAT_TCB_H
#define MN_COMPAT_TCB_H

#include "compat/cancel_bits.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <pthread.h>

/* Discovers and checks the layout on the calling thread. Returns NULL, or
 * why mnrt cannot give Gs their own TCBs here (a field glibc does not
 * describe, or one that is not where it must be): then nothing was
 * changed and the program must run natively. Runs on the main thread,
 * before any G exists. */
const char *mn_tcb_boot(void);

/* The rest, which needs a thread glibc made itself: one short-lived
 * thread, made with glibc's real create/join, checks the fields that have
 * no descriptor (the TCB header on a thread not the main one, where
 * __resp points); then malloc's per-thread words are found, and the main
 * G's TCB (main_tcb) marked as glibc marks a thread that made one. Returns
 * NULL, or why new threads cannot be Gs (they must be glibc's). If glibc
 * cannot make its thread now, or memory runs out (a thread limit, no
 * memory), returns NULL with that error in *err (else 0): to be called
 * again (glibc's single-threaded mode has ended; what was learned is
 * learned again). Runs after mn_tcb_boot, until it succeeds or refuses,
 * one call at a time, before any TCB is made for a G (mn_tcb_create_at);
 * a g0's TCB (mn_tcb_create) may be made before or meanwhile. */
const char *mn_tcb_threads_begin(int (*create)(pthread_t *, const pthread_attr_t *,
                                               void *(*)(void *), void *),
                                 int (*join)(pthread_t, void **), void *main_tcb, int *err);

/* What mn_tcb_boot and mn_tcb_threads_begin found, in one line
 * (MNRT_DEBUG=1 prints it after each). */
const char *mn_tcb_describe(void);

/* Whether the program's malloc (the one glibc itself calls) is glibc's,
 * as found at boot: its locks are glibc's own, never held by a thread
 * that parks. */
bool mn_tcb_glibc_malloc(void);

/* A fresh TCB for a G, set up from the calling thread's (stack and pointer
 * guards, CET features). Returns NULL when memory is exhausted. */
void *mn_tcb_create(void);
/* Gives back a TCB of mn_tcb_create that no thread ever ran on (through
 * the program's free). */
void mn_tcb_destroy(void *tcb);

/* The bytes a TCB needs below its thread pointer (static TLS, with the
 * surplus for modules loaded later) and above it (struct pthread), and
 * the thread pointer's alignment. */
void mn_tcb_extent(size_t *below, size_t *above, size_t *align);

/* Makes a TCB for a G at tp (aligned, with the extent above around it) in
 * zeroed memory the caller owns, its dtv at dtv_mem, room for slots + 3
 * entries (slots modules: compat/dtv.h), as mn_tcb_create does. Returns
 * tp, or NULL when out of memory or more modules than that are loaded
 * already. */
void *mn_tcb_create_at(void *tp, void *dtv_mem, size_t slots);

/* Makes a TCB of mn_tcb_create_at whose G finished fit for a new G:
 * static TLS images and the dtv made anew, dynamic TLS freed, per-thread
 * glibc state reset. Returns false when memory is exhausted: then the TCB
 * may be recycled again. */
bool mn_tcb_recycle(void *tcb);

/* glibc's struct pthread tid field. Gs carry a unique fake tid there so
 * glibc's internal recursive locks tell Gs apart (docs/glibc-facts.md §5). */
void mn_tcb_set_tid(void *tcb, pid_t tid);
pid_t mn_tcb_tid(const void *tcb);

/* Address of the calling thread's TLS variable `var` in another TCB
 * (all libmnrt TLS is static, so the offset from the thread pointer is the
 * same in every TCB). */
void *mn_tcb_tls_slot(void *tcb, const void *var);

/* Points glibc's cleanup_jmp_buf of the current TCB at buf (what glibc's
 * start_thread does), so that glibc's pthread_exit unwinds to our G entry. */
void mn_tcb_set_cleanup_jmp_buf(void *tcb, void *buf);

/* glibc's cancelhandling word of a TCB: pthread_setcancelstate and
 * pthread_setcanceltype (glibc's own, on the G's TCB) keep it, and its
 * bits are glibc's (compat/cancel_bits.h). */
_Atomic int *mn_tcb_cancelhandling(void *tcb);

/* In the child of fork: the kernel's rseq registration of the calling
 * thread, inherited from the forking kernel thread, names the rseq area of
 * whichever of the TCBs in `from` glibc registered it in (an M's own TCB
 * that glibc now counts as a free stack in the child, or the main
 * thread's). Moves it to the rseq area of `to`, the TCB the thread runs
 * its scheduler on from now on. Returns false when there was none to move
 * (rseq off, or a kernel without it): then nothing is registered. */
bool mn_tcb_rseq_move(void *const *from, int nfrom, void *to);

/* glibc's count of its running threads (__nptl_nthreads, which decides
 * whether a thread's exit ends the process), or NULL if glibc has none. */
_Atomic int *mn_tcb_glibc_nthreads(void);

/* Runs on a new G before its program code: per-thread locale tables. */
void mn_tcb_on_start(void);

/* Runs the C++ thread_local destructors of the calling thread. */
void mn_tcb_run_tls_dtors(void);

/* Runs on the G itself just before it finishes: releases what glibc keeps
 * per thread outside of malloc's cache (pending dlerror result). */
void mn_tcb_release_on_exit(void);

/* Runs on the G itself once it is not the last thread (whose exit ends the
 * process, with atexit handlers that may still read its TLS): as glibc's
 * thread exit does, runs the destructors of glibc's own keys
 * (compat/glibc_keys.h: 2.31's dlerror result and strsignal buffer),
 * frees glibc's strerror/strsignal buffers kept in struct pthread (2.32+)
 * and the dynamic TLS blocks, so that its TCB holds nothing malloc'ed but
 * the malloc words. */
void mn_tcb_free_on_exit(void);

/* glibc malloc's per-thread words of a TCB (none with another allocator):
 * take moves them out (zeroed in the TCB) and returns how many were set;
 * give puts such words into a fresh TCB. */
#define MN_TCB_MALLOC_WORDS 4
int mn_tcb_malloc_take(void *tcb, uintptr_t words[MN_TCB_MALLOC_WORDS]);
void mn_tcb_malloc_give(void *tcb, const uintptr_t words[MN_TCB_MALLOC_WORDS]);


#endif
