/* Actions for glibc's internal signals (32, SIGCANCEL; 33, SIGSETXID),
 * which glibc's sigaction refuses: set with the rt_sigaction system call
 * and a signal-return trampoline of mnrt's own, in the exact bytes
 * unwinders and debuggers recognize as a signal frame's return (so that a
 * cancellation unwinds through the handler's frame, as through glibc's).
 * Not glibc's private __libc_sigaction, which not every glibc exports
 * (2.31 does not). */
#ifndef MN_COMPAT_KERNEL_SIGACTION_H
#define MN_COMPAT_KERNEL_SIGACTION_H

#include <signal.h>
#include <stdint.h>

/* The kernel's struct sigaction. */
struct mn_kernel_action {
    void (*handler)(int, siginfo_t *, void *);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

/* Makes handler sig's action, with flags (SA_SIGINFO, SA_RESTART, ...)
 * and an empty mask; the previous action goes to *old unless old is
 * NULL. Returns 0, or -errno. */
int mn_kernel_sigaction(int sig, void (*handler)(int, siginfo_t *, void *), unsigned long flags,
                        struct mn_kernel_action *old);

#endif
