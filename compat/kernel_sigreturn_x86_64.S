/* The restorer of mnrt's actions for glibc's internal signals
 * (kernel_sigaction.h): rt_sigreturn, in the exact bytes unwinders and
 * debuggers recognize as a signal frame's return (the nop before it, as
 * before glibc's own: a debugger looks one byte before a return address). */
    .text
    .globl mn_kernel_sigreturn
    .hidden mn_kernel_sigreturn
    .type mn_kernel_sigreturn, @function
    .p2align 4
    nop
mn_kernel_sigreturn:
    movq $15, %rax               /* __NR_rt_sigreturn */
    syscall
    .size mn_kernel_sigreturn, .-mn_kernel_sigreturn

    .section .note.GNU-stack, "", @progbits
