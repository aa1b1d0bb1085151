/* Closes that glibc makes without calling close(): stdio closes a stream's
 * fd inside glibc, and close_range/closefrom close many at once. Each is
 * told to the fd table (syscalls/pollfd.h) first, as close() is: a
 * poller registration left on a closed fd would keep its file open (a
 * socket would never send its FIN, a pipe's writer never see EPIPE). A
 * range close leaves out the fds mnrt keeps for itself, and excludes
 * mnrt's own short-lived opens (core/lowfd.h). A stream's pending output
 * is flushed before its fd is forgotten. */
#include "shim/bound.h"

#include "compat/real.h"
#include "core/lowfd.h"
#include "syscalls/pollfd.h"

#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>

#include "compat/backfill.h" /* after the system headers */

/* Output still in f's buffer is written first, as the close would: that
 * write may wait for the fd in the poller (a converted inline wait,
 * core/inline_wait.h), which must be over before the fd is forgotten. */
static void forget_stream(FILE *f)
{
    int fd;
    if (mn_native() || !f || (fd = fileno(f)) < 0)
        return;
    if (__fpending(f) > 0)
        fflush(f);
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

/* Closes lo..hi but the fds mnrt keeps for itself (pollfd.h: the hidden
 * duplicates of Gs blocked on fds that were closed, the poller's own): a
 * range close must not take those. */
MN_EXPORT int close_range(unsigned lo, unsigned hi, int flags)
{
    if ((flags & CLOSE_RANGE_UNSHARE) && !mn_native()) {
        /* the kernel thread gets an fd table of its own, where the range
         * is closed; the other threads keep theirs, fds and mnrt's view
         * of them alike */
        int began = mn_bound_begin();
        int r = mn_real.close_range(lo, hi, flags);
        mn_bound_end(began, r == 0);
        return r;
    }
    if (mn_native() || (flags & CLOSE_RANGE_CLOEXEC) || lo > hi)
        return mn_real.close_range(lo, hi, flags);
    mn_pollfd_close_range(lo, hi);
    struct mn_fd_list own;
    int n = mn_own_fds(&own);
    if (n < 0) {
        errno = ENOMEM;
        return -1;
    }
    mn_fd_end_begin(lo, hi); /* core/lowfd.h */
    unsigned from = lo;
    bool rest = true; /* from..hi is still to close (from wraps past ~0u) */
    int r = 0;
    for (int i = 0; i < n && r == 0; i++) {
        unsigned h = (unsigned)own.fds[i];
        if (h < from || h > hi)
            continue;
        if (h > from)
            r = mn_real.close_range(from, h - 1, flags);
        rest = h != ~0u;
        from = h + 1;
    }
    if (r == 0 && rest && from <= hi)
        r = mn_real.close_range(from, hi, flags);
    int err = errno;
    mn_fd_end_end();
    mn_fd_list_free(&own);
    errno = err;
    return r;
}

MN_EXPORT void closefrom(int lo)
{
    if (mn_native() || lo < 0 || close_range((unsigned)lo, ~0u, 0) != 0)
        mn_real.closefrom(lo); /* a kernel without close_range */
}
