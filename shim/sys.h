/* Raw system calls for shim/ (calling the libc names would re-enter
 * mnrt's own interposed functions), and the handoff bracket for calls
 * that may block without mnrt being able to park on them (DESIGN.md §5
 * kind 2): the P may go to another M meanwhile. */
#ifndef MN_SHIM_SYS_H
#define MN_SHIM_SYS_H

#include "core/runtime.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MN_SYS(...) syscall(__VA_ARGS__)

/* glibc's fortify failure (exported; its header declares it only inside
 * glibc): the _chk variants call it on a buffer overflow, as glibc does. */
extern _Noreturn void __chk_fail(void);

/* Evaluates expr (a blocking call) with the P detachable, keeping errno. */
#define MN_BLOCKING(expr)                                                      \
    __extension__({                                                            \
        mn_entersyscall();                                                     \
        __typeof__(expr) mn_r_ = (expr);                                       \
        int mn_e_ = errno;                                                     \
        mn_exitsyscall();                                                      \
        errno = mn_e_;                                                         \
        mn_r_;                                                                 \
    })

#endif
