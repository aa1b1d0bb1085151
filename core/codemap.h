/* Where code lives that is not the program's: the text (executable
 * PT_LOAD segments) of libmnrt.so itself, glibc's libraries (libc.so.6,
 * and those glibc had apart before 2.34: libpthread.so.0, librt.so.1,
 * libanl.so.1), the dynamic loader and the vDSO.
 * - Preemption (docs/glibc-facts.md §6, docs/design.md §13): a G is
 *   preempted by a signal only when the interrupted instruction is the
 *   program's own code; in these objects it may hold glibc's or ld.so's
 *   internal locks, or be in the middle of mnrt's own bookkeeping.
 * - Threads glibc makes for itself: glibc 2.34+ makes its helper threads
 *   (SIGEV_THREAD timers, mq_notify, asynchronous I/O and name lookups)
 *   with an internal function mnrt never sees; before, librt and libanl
 *   called the exported pthread_create. Such a thread must stay a kernel
 *   thread (the kernel signals the timer helper by its thread id), so
 *   pthread_create asks mn_codemap_glibc about its caller.
 *
 * Invariants: the ranges are found once, at boot, before any G or
 * preemption signal exists (mn_codemap_init), and never change
 * afterwards: these objects are loaded at start-up and never unloaded (a
 * glibc library dlopen'ed later is not in them). Lookups are
 * async-signal-safe (a fixed array: no lock, no allocation, no dladdr). */
#ifndef MN_CORE_CODEMAP_H
#define MN_CORE_CODEMAP_H

#include <stdbool.h>
#include <stdint.h>

/* Finds the text ranges. Returns false if libmnrt's or libc's were not
 * found (then nothing may be preempted). */
bool mn_codemap_init(void);

/* Whether mn_codemap_init found libmnrt's and libc's text. */
bool mn_codemap_complete(void);

/* Whether pc is in the text of libmnrt, glibc, ld.so or the vDSO. */
bool mn_codemap_runtime(uintptr_t pc);

/* Whether pc is in the text of one of glibc's libraries (not ld.so). */
bool mn_codemap_glibc(uintptr_t pc);

#endif
