/* Where a longjmp lands: the stack pointer that glibc's setjmp saved in a
 * jump buffer (x86-64: slot 6 of __jmpbuf, mangled with the TCB's
 * pointer_guard as PTR_MANGLE does, xor then rotate left by 17). The
 * layout is glibc's, not an ABI, so it is checked once, on first use, by
 * a setjmp into a buffer of a known frame: if the stack pointer read back
 * does not lie just below that frame, mn_jmpbuf_sp says it cannot tell,
 * and callers assume the worst (shim/longjmp.c: the jump leaves every
 * signal handler). pointer_guard is the same in every thread (compat/tcb.h
 * copies it), so a buffer filled by any G reads back in any other. */
#ifndef MN_COMPAT_JMPBUF_H
#define MN_COMPAT_JMPBUF_H

#include <setjmp.h>
#include <stdint.h>

/* The stack pointer a jump to env resumes with, or 0: unknown. */
uintptr_t mn_jmpbuf_sp(const struct __jmp_buf_tag *env);

#endif
