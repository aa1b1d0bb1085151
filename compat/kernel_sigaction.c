/* Internal signals' actions by system call: see kernel_sigaction.h. */
#include "compat/kernel_sigaction.h"

#include "compat/raw_syscall.h"

#include <sys/syscall.h>

#define KERNEL_SA_RESTORER 0x04000000

/* kernel_sigreturn_x86_64.S */
void mn_kernel_sigreturn(void);

int mn_kernel_sigaction(int sig, void (*handler)(int, siginfo_t *, void *), unsigned long flags,
                        struct mn_kernel_action *old)
{
    struct mn_kernel_action k = {.handler = handler,
                                 .flags = flags | KERNEL_SA_RESTORER,
                                 .restorer = mn_kernel_sigreturn};
    return (int)mn_raw_syscall(SYS_rt_sigaction, sig, &k, old, sizeof k.mask);
}
