/* Where the code that must never be preempted lives: the text (executable
 * PT_LOAD segments) of libmnrt.so itself, glibc (libc.so.6), the dynamic
 * loader and the vDSO. docs/glibc-facts.md §6 and docs/design.md §13: a G is preempted by a
 * signal only when the interrupted instruction is the program's own code;
 * in these objects it may hold glibc's or ld.so's internal locks, or be in
 * the middle of mnrt's own bookkeeping.
 *
 * Invariants: the ranges are found once, at boot, before any preemption
 * signal can be sent (mn_codemap_init), and never change afterwards: these
 * objects are loaded at start-up and never unloaded. mn_codemap_runtime is
 * async-signal-safe (it reads a fixed array: no lock, no allocation, no
 * dladdr). */
#ifndef MN_CORE_CODEMAP_H
#define MN_CORE_CODEMAP_H

#include <stdbool.h>
#include <stdint.h>

/* Finds the text ranges. Returns false if libmnrt's or glibc's were not
 * found (then nothing may be preempted). */
bool mn_codemap_init(void);

/* Whether pc is in the text of libmnrt, glibc, ld.so or the vDSO. */
bool mn_codemap_runtime(uintptr_t pc);

#endif
