/* The call that the preemption signal injects (preempt.h). The handler
 * left the stack as a call would, except that the return address (the
 * interrupted instruction) sits below the interrupted code's 128-byte red
 * zone: on entry %rsp points at it and every register, the flags and the
 * extended state are the interrupted code's.
 *
 * Invariants: every general register, the flags and the whole extended
 * state (xsave64 with mn_xstate_mask into a 64-byte aligned area of
 * mn_xstate_size bytes on the G's stack, or fxsave64 where there is no
 * xsave) are what they were when the G is resumed, possibly on another M
 * (but for a converted wait that fails with EINTR: mn_preempt_yield then
 * sets the saved rax and return address, given to it as the frame);
 * nothing here depends on the M. C code runs with DF clear, an empty x87
 * stack and the default MXCSR, as the ABI wants at a call. `ret $128`
 * returns to the interrupted instruction with %rsp back above the red zone.
 *
 * void mn_preempt_trampoline(void) -- never called by C code */
    .text
    .globl mn_preempt_trampoline
    .hidden mn_preempt_trampoline
    .type mn_preempt_trampoline, @function
    .p2align 4
mn_preempt_trampoline:
    .cfi_startproc
    .cfi_signal_frame            /* the return address is no call site */
    .cfi_def_cfa rsp, 136        /* the caller's %rsp: above the red zone */
    .cfi_offset rip, -136
    pushfq
    .cfi_adjust_cfa_offset 8
    pushq %rax
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rax, 0
    pushq %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbx, 0
    pushq %rcx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rcx, 0
    pushq %rdx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rdx, 0
    pushq %rsi
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rsi, 0
    pushq %rdi
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rdi, 0
    pushq %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbp, 0
    pushq %r8
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r8, 0
    pushq %r9
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r9, 0
    pushq %r10
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r10, 0
    pushq %r11
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r11, 0
    pushq %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r12, 0
    pushq %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r13, 0
    pushq %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r14, 0
    pushq %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset r15, 0
    movq %rsp, %rbx              /* callee-saved: survives the yield */
    .cfi_def_cfa_register rbx
    cld
    movl mn_xstate_size(%rip), %eax
    subq %rax, %rsp
    andq $-64, %rsp
    cmpb $0, mn_xstate_xsave(%rip)
    je 1f
    xorl %eax, %eax              /* the xsave header must start zeroed */
    movq %rax, 512(%rsp)
    movq %rax, 520(%rsp)
    movq %rax, 528(%rsp)
    movq %rax, 536(%rsp)
    movq %rax, 544(%rsp)
    movq %rax, 552(%rsp)
    movq %rax, 560(%rsp)
    movq %rax, 568(%rsp)
    movl mn_xstate_mask(%rip), %eax
    movl mn_xstate_mask+4(%rip), %edx
    xsave64 (%rsp)
    jmp 2f
1:  fxsave64 (%rsp)
2:  fninit
    ldmxcsr mxcsr_default(%rip)
    movq %rbx, %rdi              /* the saved registers: mn_preempt_frame */
    call mn_preempt_yield
    cmpb $0, mn_xstate_xsave(%rip)
    je 3f
    movl mn_xstate_mask(%rip), %eax
    movl mn_xstate_mask+4(%rip), %edx
    xrstor64 (%rsp)
    jmp 4f
3:  fxrstor64 (%rsp)
4:  movq %rbx, %rsp
    .cfi_def_cfa_register rsp
    popq %r15
    .cfi_adjust_cfa_offset -8
    .cfi_restore r15
    popq %r14
    .cfi_adjust_cfa_offset -8
    .cfi_restore r14
    popq %r13
    .cfi_adjust_cfa_offset -8
    .cfi_restore r13
    popq %r12
    .cfi_adjust_cfa_offset -8
    .cfi_restore r12
    popq %r11
    .cfi_adjust_cfa_offset -8
    .cfi_restore r11
    popq %r10
    .cfi_adjust_cfa_offset -8
    .cfi_restore r10
    popq %r9
    .cfi_adjust_cfa_offset -8
    .cfi_restore r9
    popq %r8
    .cfi_adjust_cfa_offset -8
    .cfi_restore r8
    popq %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore rbp
    popq %rdi
    .cfi_adjust_cfa_offset -8
    .cfi_restore rdi
    popq %rsi
    .cfi_adjust_cfa_offset -8
    .cfi_restore rsi
    popq %rdx
    .cfi_adjust_cfa_offset -8
    .cfi_restore rdx
    popq %rcx
    .cfi_adjust_cfa_offset -8
    .cfi_restore rcx
    popq %rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore rbx
    popq %rax
    .cfi_adjust_cfa_offset -8
    .cfi_restore rax
    popfq
    .cfi_adjust_cfa_offset -8
    ret $128
    .cfi_endproc
    .size mn_preempt_trampoline, .-mn_preempt_trampoline

    .section .rodata
    .p2align 2
mxcsr_default:
    .long 0x1f80

    .section .note.GNU-stack,"",@progbits
