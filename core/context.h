/* Execution contexts: a saved stack pointer plus the frame mn_ctx_switch
 * left on that stack (see switch.S). */
#ifndef MN_CORE_CONTEXT_H
#define MN_CORE_CONTEXT_H

#include <stdint.h>

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
