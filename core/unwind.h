/* Backtraces of threads that are not the caller, for thread dumps
 * (core/dump.h): libunwind's DWARF unwinder over a copy of the thread's
 * stack, reading everything else through a reader that cannot fault.
 *
 * libunwind (libunwind-x86_64.so.8) is loaded with dlopen and RTLD_LOCAL,
 * never linked: its libunwind.so.8 defines _Unwind_RaiseException and the
 * rest of the C++ unwinding ABI, which must stay libgcc_s's in the
 * program. Loading it costs about 0.2 ms, so it is not done at boot but
 * with the program's first thread (mn_unwind_load), where a program's own
 * call may take the loader's lock and allocate, as glibc's pthread_create
 * does. Its address space is made then too (malloc'ed), with mnrt's own
 * accessors: memory reads come from the stack copy, or, for
 * anything else (unwind tables, a stack beyond the copy, a garbage
 * pointer), from process_vm_readv on the process itself (or a read of
 * /proc/self/mem), which fails with EFAULT where a load would fault.
 *
 * Invariants:
 * - A stack is only ever read through the copy or the safe reader: a G
 *   may wake, run, exit and have its stack unmapped while it is unwound;
 *   the result may then be wrong, never a crash.
 * - mn_unwind takes no lock a G of the program could hold and allocates
 *   nothing with the program's malloc (libunwind's own memory pool is
 *   mmap'ed; its mutex is taken only by unwinding, which the dump does
 *   one at a time). It must run on a thread that is not a G (sysmon, g0,
 *   a foreign thread), or with mn_tls_g cleared: libunwind's calls of
 *   sigprocmask and pthread_mutex_lock reach mnrt's, which act as glibc's
 *   there.
 * - Only one unwind at a time (the dump's): the reader's cache is global. */
#ifndef MN_CORE_UNWIND_H
#define MN_CORE_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x86-64 registers, in libunwind's numbering (UNW_X86_64_RAX .. RIP). */
enum {
    MN_REG_RAX, MN_REG_RDX, MN_REG_RCX, MN_REG_RBX, MN_REG_RSI, MN_REG_RDI, MN_REG_RBP,
    MN_REG_RSP, MN_REG_R8, MN_REG_R9, MN_REG_R10, MN_REG_R11, MN_REG_R12, MN_REG_R13,
    MN_REG_R14, MN_REG_R15, MN_REG_RIP, MN_NREGS
};

struct mn_regs {
    uint64_t r[MN_NREGS];
    uint32_t valid;             /* bit i: r[i] is known */
};

/* A copy of a stack: bytes [lo, lo + len) of the thread's stack, whose
 * highest address is hi (reads in [lo + len, hi) are refused: that part
 * was not copied and may have changed). */
struct mn_stack_copy {
    const char *buf;
    uintptr_t lo, hi;
    size_t len;
};

/* Loads libunwind, once: the first call does it (and any call made
 * meanwhile returns at once). It takes the loader's lock and calls
 * malloc: only where a call of the program could (the first thread's
 * creation, mnrt_dump on its G, sysmon), never in a signal handler. */
void mn_unwind_load(void);

/* Why mn_unwind cannot work (NULL: it can). */
const char *mn_unwind_unavailable(void);

/* Copies up to cap bytes of [lo, hi) into buf with the safe reader; returns
 * how many were readable from lo on. */
size_t mn_safe_copy(void *buf, uintptr_t lo, uintptr_t hi, size_t cap);

/* Reads one word with the safe reader. */
bool mn_safe_read(uintptr_t addr, uint64_t *val);

/* Starts and ends a series of unwinds (one dump): resets the reader's
 * cache, which then lives in the given memory (MN_UNWIND_CACHE bytes). */
#define MN_UNWIND_CACHE (64 * 4096 + 64 * 16)
void mn_unwind_begin(void *cache_memory);
void mn_unwind_end(void);

/* Unwinds from regs over the stack copy: up to max return addresses (the
 * first is regs' own rip). Frames whose pc is the exact instruction (the
 * first one when exact_first, the one after a signal frame) get their bit
 * set in *exact (first 64 frames). Returns the number of frames (0 if
 * rip is not known), and *why the walk ended early ("truncated",
 * "unreadable stack", ...; NULL when it reached the outermost frame or
 * max). */
int mn_unwind(const struct mn_regs *regs, const struct mn_stack_copy *stack, bool exact_first,
              uintptr_t *pcs, int max, uint64_t *exact, const char **why);

#endif
