/* vfork(): the kernel's vfork, with mnrt's steps around it (shim/vfork.c).
 *
 * The child runs on the caller's stack until it execs or exits, while the
 * parent's kernel thread waits. Whatever the child pushes overwrites what
 * lies below the caller's frame, so nothing that the parent needs after
 * the system call may be kept there: this function keeps its return
 * address in %rdx and the state mn_vfork_prepare returned in %r8, which
 * the system call preserves (it clobbers %rcx and %r11 only), and either
 * side pushes the return address back before it calls into C.
 *
 * pid_t vfork(void); the C side:
 *   int mn_vfork_prepare(uintptr_t pc, uintptr_t sp, uintptr_t fp)
 *   void mn_vfork_child(int state)
 *   long mn_vfork_parent(long result, int state) */
#include <sys/syscall.h>

    .text
    .globl vfork
    .type vfork, @function
    .p2align 4
vfork:
    .cfi_startproc
    movq (%rsp), %rdi            /* the caller's pc, sp and fp: where a */
    leaq 8(%rsp), %rsi           /* thread dump unwinds the G from */
    movq %rbp, %rdx
    subq $8, %rsp                /* aligned for the call */
    .cfi_adjust_cfa_offset 8
    call mn_vfork_prepare        /* %eax: what the two sides finish with */
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    movl %eax, %r8d
    popq %rdx                    /* the return address, off the stack */
    .cfi_adjust_cfa_offset -8
    .cfi_register %rip, %rdx
    movl $SYS_vfork, %eax
    syscall
    pushq %rdx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rip, 0
    movq %rax, %rdi              /* the kernel's result */
    movl %r8d, %esi              /* the state */
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    testq %rax, %rax
    jz 1f
    call mn_vfork_parent         /* the pid, or -1 with errno */
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_adjust_cfa_offset 8
1:  movl %esi, %edi              /* the state */
    call mn_vfork_child
    addq $8, %rsp
    .cfi_adjust_cfa_offset -8
    xorl %eax, %eax
    ret
    .cfi_endproc
    .size vfork, .-vfork

    .section .note.GNU-stack, "", @progbits
