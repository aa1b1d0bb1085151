/* What newer glibc functions do, where the running glibc lacks them: see
 * real_fallback.h. */
#include "compat/real_fallback.h"

#include "compat/raw_syscall.h"

#include <errno.h>

#include "compat/backfill.h" /* after the system headers */

int mn_fallback_pthread_attr_getsigmask_np(const pthread_attr_t *attr, sigset_t *mask)
{
    (void)attr;
    sigemptyset(mask);
    return PTHREAD_ATTR_NO_SIGMASK_NP;
}

int mn_fallback_close_range(unsigned lo, unsigned hi, int flags)
{
    long r = mn_raw_syscall(SYS_close_range, lo, hi, flags);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return 0;
}

void mn_fallback_closefrom(int lowfd)
{
    mn_fallback_close_range((unsigned)lowfd, ~0u, 0);
}
