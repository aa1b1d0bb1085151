/* fork() from a G: the child runs natively on the forking kernel thread
 * (shim/boot.c), and if it asks to be traced (PTRACE_TRACEME, as a
 * debugger's inferior does) its tracer is that kernel thread, the only one
 * whose ptrace requests the kernel takes. So the forking G stays on its M
 * (core: mn_lock_thread_for_fork) until it traces the child (ptrace locks
 * it for good: shim/bound.c) or parks, which a program that does not
 * trace does soon. */
#include "shim/pthread_impl.h"

#include <unistd.h>

MN_EXPORT pid_t fork(void)
{
    if (!mn_native())
        mn_lock_thread_for_fork();
    return mn_real.fork();
}
