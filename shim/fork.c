/* fork() from a G: the child runs natively on the forking kernel thread
 * (shim/boot.c), and if it asks to be traced (PTRACE_TRACEME, as a
 * debugger's inferior does) its tracer is that kernel thread, the only one
 * whose ptrace requests the kernel takes. So the forking G stays on its M
 * (core: mn_lock_thread_for_fork) until it traces the child (ptrace locks
 * it for good: shim/bound.c) or parks, which a program that does not
 * trace does soon.
 *
 * vfork() is fork() here, as POSIX allows. A vfork child runs in its
 * parent's memory until it execs, so what it calls through mnrt acts on
 * the parent's state (its fd table, io_uring registrations, signal
 * bookkeeping): Python's subprocess, whose child calls close_range over
 * every fd, made other threads of the parent find their pipes closed
 * (EBADF) when 40 threads each ran a command. (A wrapper cannot call
 * the real vfork: the child would return through the wrapper's frame,
 * which the parent then returns through after the child has overwritten
 * it.) */
#include "shim/pthread_impl.h"

#include <unistd.h>

MN_EXPORT pid_t fork(void)
{
    if (!mn_native())
        mn_lock_thread_for_fork();
    return mn_real.fork();
}

MN_EXPORT pid_t vfork(void)
{
    return fork();
}
