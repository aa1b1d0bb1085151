/* Raw system calls for shim/ (calling the libc names, syscall() among
 * them, would re-enter mnrt's own interposed functions), and the handoff
 * bracket for calls
 * that may block without mnrt being able to park on them (docs/design.md §8
 * kind 2): the P may go to another M meanwhile. */
#ifndef MN_SHIM_SYS_H
#define MN_SHIM_SYS_H

#include "compat/raw_syscall.h"
#include "core/runtime.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc's syscall(): -1 with errno on failure, the result otherwise */
static inline long mn_sys6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long r = mn_raw_syscall6(n, a1, a2, a3, a4, a5, a6);
    if ((unsigned long)r > -4096ul) {
        errno = (int)-r;
        return -1;
    }
    return r;
}
#define MN_SYS_ARGS(n, a1, a2, a3, a4, a5, a6, ...)                                              \
    mn_sys6((long)(n), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), (long)(a6))
/* MN_SYS(SYS_x, args...): up to six arguments */
#define MN_SYS(...) MN_SYS_ARGS(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

/* glibc's fortify failure (exported; its header declares it only inside
 * glibc): the _chk variants call it on a buffer overflow, as glibc does. */
extern _Noreturn void __chk_fail(void);

/* A system call that is a cancellation point and may block in the kernel
 * (waitpid, a tty's read, open of a FIFO, fsync, ...): as
 * MN_BLOCKING(MN_SYS(...)), and pthread_cancel ends it while it blocks
 * (shim/cancel.c); fsync, fdatasync and msync with MS_SYNC as
 * MN_DEVICE_WAIT. Foreign threads make the plain call. */
long mn_sys_cancellable6(long n, long a1, long a2, long a3, long a4, long a5, long a6);
#define MN_SYS_CANCELLABLE_ARGS(n, a1, a2, a3, a4, a5, a6, ...)                                  \
    mn_sys_cancellable6((long)(n), (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5),    \
                        (long)(a6))
/* MN_SYS_CANCELLABLE(SYS_x, args...): up to six arguments */
#define MN_SYS_CANCELLABLE(...) MN_SYS_CANCELLABLE_ARGS(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

/* Evaluates expr (a blocking call) after enter(), keeping errno. */
#define MN_BLOCKING_AFTER(enter, expr)                                         \
    __extension__({                                                            \
        enter();                                                               \
        __typeof__(expr) mn_r_ = (expr);                                       \
        int mn_e_ = errno;                                                     \
        mn_exitsyscall();                                                      \
        errno = mn_e_;                                                         \
        mn_r_;                                                                 \
    })
/* Evaluates expr (a blocking call) with the P detachable, keeping errno. */
#define MN_BLOCKING(expr) MN_BLOCKING_AFTER(mn_entersyscall, expr)
/* The same for a call that waits for a device (syncing a file to its
 * disk): the P goes to another M at once if Gs wait for it. */
#define MN_DEVICE_WAIT(expr) MN_BLOCKING_AFTER(mn_entersyscallblock, expr)

#endif
