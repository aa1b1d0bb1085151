/* Execution contexts: a saved stack pointer plus the frame mn_ctx_switch
 * left on that stack (see switch.S). Readers of a parked G's registers
 * (thread dumps, the gdb extension through shim/debug_layout.c) find them
 * in that frame at the MN_CTX_* offsets from the saved sp. */
#ifndef MN_CORE_CONTEXT_H
#define MN_CORE_CONTEXT_H

#include <stdint.h>

/* The frame mn_ctx_switch leaves at the saved sp (switch.S pushes rbp,
 * rbx, r12-r15 after the return address, then MXCSR and the x87 control
 * word): byte offsets, and its size (the sp once it has returned). */
#define MN_CTX_R15 8
#define MN_CTX_R14 16
#define MN_CTX_R13 24
#define MN_CTX_R12 32
#define MN_CTX_RBX 40
#define MN_CTX_RBP 48
#define MN_CTX_RIP 56
#define MN_CTX_SIZE 64

void mn_ctx_switch(void **save_sp, void *load_sp, void *tcb);
void mn_ctx_entry(void);

/* Prepares a stack whose top is `top` so that switching to the returned sp
 * calls fn(arg) on it (fn must never return). */
static inline void *mn_ctx_make(char *top, void (*fn)(void *), void *arg)
{
    uintptr_t entry_sp = ((uintptr_t)top & ~(uintptr_t)15) - 16; /* 16-aligned after ret */
    uint64_t *sp = (uint64_t *)entry_sp;
    *--sp = (uint64_t)(uintptr_t)mn_ctx_entry;  /* return address */
    *--sp = 0;                                  /* rbp: end of frame chain */
    *--sp = 0;                                  /* rbx */
    *--sp = (uint64_t)(uintptr_t)arg;           /* r12 */
    *--sp = (uint64_t)(uintptr_t)fn;            /* r13 */
    *--sp = 0;                                  /* r14 */
    *--sp = 0;                                  /* r15 */
    *--sp = 0x037f00001f80ull;                  /* mxcsr 0x1f80, x87 cw 0x037f */
    return sp;
}

#endif
