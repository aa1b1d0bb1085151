/* Reading a jump buffer's stack pointer: see jmpbuf.h. */
#include "compat/jmpbuf.h"

#include <stdatomic.h>
#include <stdbool.h>

#define JB_RSP 6        /* glibc's sysdeps/x86_64/jmpbuf-offsets.h */
#define POINTER_GUARD 0x30 /* offset in the TCB header (x86-64 tls.h) */

static uintptr_t demangle(uintptr_t v)
{
    uintptr_t guard;
    __asm__("mov %%fs:%c1, %0" : "=r"(guard) : "i"(POINTER_GUARD));
    return ((v >> 17) | (v << 47)) ^ guard;
}

/* Whether a setjmp in this frame reads back as a stack pointer just below
 * it (setjmp saves its caller's, which lies below the caller's frame
 * address and above the buffer's end or near it). */
static __attribute__((noinline)) bool layout_checks(void)
{
    jmp_buf jb;
    if (_setjmp(jb) != 0)
        return false; /* (never jumped to) */
    uintptr_t frame = (uintptr_t)__builtin_frame_address(0);
    uintptr_t sp = demangle((uintptr_t)jb[0].__jmpbuf[JB_RSP]);
    return sp < frame && frame - sp < 4096 && sp <= (uintptr_t)&jb;
}

uintptr_t mn_jmpbuf_sp(const struct __jmp_buf_tag *env)
{
    static atomic_int known; /* 0: not checked yet, 1: layout holds, -1: not */
    int k = atomic_load_explicit(&known, memory_order_relaxed);
    if (k == 0) {
        k = layout_checks() ? 1 : -1;
        atomic_store_explicit(&known, k, memory_order_relaxed);
    }
    return k > 0 ? demangle((uintptr_t)env->__jmpbuf[JB_RSP]) : 0;
}
