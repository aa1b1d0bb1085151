/* Context switch between Gs and g0 (docs/design.md §6; docs/glibc-facts.md
 * §6: ~22 ns with wrfsbase). A switch is a function call: the caller-saved registers are
 * already dead, so only the callee-saved ones, MXCSR and the x87 control
 * word are kept, on the stack being left. The thread pointer of the target
 * (its TCB) is loaded into FS. Signal masks are not touched here.
 *
 * void mn_ctx_switch(void **save_sp, void *load_sp, void *tcb)
 * void mn_ctx_entry(void)   -- first "return" target of a new context:
 *                              calls r13(r12) and never returns. */
    .text
    .globl mn_ctx_switch
    .hidden mn_ctx_switch
    .type mn_ctx_switch, @function
    .p2align 4
mn_ctx_switch:
    .cfi_startproc
    pushq %rbp
    .cfi_adjust_cfa_offset 8
    pushq %rbx
    .cfi_adjust_cfa_offset 8
    pushq %r12
    .cfi_adjust_cfa_offset 8
    pushq %r13
    .cfi_adjust_cfa_offset 8
    pushq %r14
    .cfi_adjust_cfa_offset 8
    pushq %r15
    .cfi_adjust_cfa_offset 8
    subq $8, %rsp
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    cmpb $0, mn_have_fsgsbase(%rip)
    je 1f
    wrfsbase %rdx
    jmp 2f
1:  movq %rdx, %rsi
    movl $0x1002, %edi          /* ARCH_SET_FS */
    movl $158, %eax             /* SYS_arch_prctl */
    syscall
2:  ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size mn_ctx_switch, .-mn_ctx_switch

    .globl mn_ctx_entry
    .hidden mn_ctx_entry
    .type mn_ctx_entry, @function
    .p2align 4
mn_ctx_entry:
    .cfi_startproc
    .cfi_undefined rip          /* outermost frame: unwinders stop here */
    movq %r12, %rdi
    callq *%r13
    ud2
    .cfi_endproc
    .size mn_ctx_entry, .-mn_ctx_entry

    .section .note.GNU-stack,"",@progbits
