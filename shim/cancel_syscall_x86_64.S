/* The system call of a cancellation point that blocks in the kernel
 * (shim/cancel.c).
 *
 * long mn_cancel_syscall(const int *cancelhandling, long nr,
 *                        long a1, long a2, long a3, long a4, long a5, long a6)
 * makes system call nr, unless cancelhandling says canceled and enabled;
 * then it returns -EINTR without making it.
 *
 * Invariant: from mn_cancel_syscall_check up to and including the syscall
 * instruction (mn_cancel_syscall_insn) the call has not been made, or the
 * kernel rewound to restart it; pthread_cancel sets the word before it
 * signals, so a handler that finds the thread there and cancellation
 * requested may send it to mn_cancel_syscall_canceled instead. */
#include "compat/cancel_bits.h"

    .text
    .globl mn_cancel_syscall, mn_cancel_syscall_check, mn_cancel_syscall_insn
    .globl mn_cancel_syscall_canceled
    .hidden mn_cancel_syscall, mn_cancel_syscall_check, mn_cancel_syscall_insn
    .hidden mn_cancel_syscall_canceled
    .type mn_cancel_syscall, @function
    .p2align 4
mn_cancel_syscall:
    .cfi_startproc
    movq %rdi, %r11              /* the word */
    movq %rsi, %rax              /* nr */
    movq %rdx, %rdi
    movq %rcx, %rsi
    movq %r8, %rdx
    movq %r9, %r10
    movq 8(%rsp), %r8
    movq 16(%rsp), %r9
mn_cancel_syscall_check:
    movl (%r11), %ecx
    andl $(MN_CANCEL_CANCELED | MN_CANCEL_DISABLED), %ecx
    cmpl $MN_CANCEL_CANCELED, %ecx
    je mn_cancel_syscall_canceled
mn_cancel_syscall_insn:
    syscall
    ret
mn_cancel_syscall_canceled:
    movq $-4, %rax               /* -EINTR */
    ret
    .cfi_endproc
    .size mn_cancel_syscall, .-mn_cancel_syscall

    .section .note.GNU-stack, "", @progbits
