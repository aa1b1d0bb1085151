/* Closes that glibc makes without calling close(): stdio closes a stream's
 * fd inside glibc, and close_range/closefrom close many at once. Each is
 * told to the fd table (syscalls/pollfd.h) first, as close() is: a
 * poller registration left on a closed fd would keep its file open (a
 * socket would never send its FIN, a pipe's writer never see EPIPE). */
#include "shim/pthread_impl.h"

#include "compat/real.h"
#include "syscalls/pollfd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>

static void forget_stream(FILE *f)
{
    int fd;
    if (!mn_native() && f && (fd = fileno(f)) >= 0)
        mn_pollfd_close(fd);
}

MN_EXPORT int fclose(FILE *f)
{
    forget_stream(f);
    return mn_real.fclose(f);
}

MN_EXPORT int pclose(FILE *f)
{
    forget_stream(f);
    return mn_real.pclose(f);
}

MN_EXPORT FILE *freopen(const char *path, const char *mode, FILE *f)
{
    forget_stream(f);
    return mn_real.freopen(path, mode, f);
}

MN_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *f)
{
    forget_stream(f);
    return mn_real.freopen64(path, mode, f);
}

MN_EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
    if (!mn_native() && !(flags & CLOSE_RANGE_CLOEXEC) && lo <= hi)
        mn_pollfd_close_range(lo, hi);
    return mn_real.close_range(lo, hi, flags);
}

MN_EXPORT void closefrom(int lo)
{
    if (!mn_native() && lo >= 0)
        mn_pollfd_close_range((unsigned)lo, UINT_MAX);
    mn_real.closefrom(lo);
}
