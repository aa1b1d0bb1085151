/* Converting the program's absolute and relative times into the
 * CLOCK_MONOTONIC deadlines that mnrt's timers use. An absolute
 * CLOCK_REALTIME time is converted once, when the wait starts: a later
 * change of the system clock does not move it (see README, Differences). */
#include "shim/pthread_impl.h"

static bool valid_nsec(long ns)
{
    return ns >= 0 && ns < 1000000000;
}

int mn_abs_deadline(clockid_t clock, const struct timespec *abstime, int64_t *deadline_ns)
{
    if (!valid_nsec(abstime->tv_nsec))
        return EINVAL;
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC)
        return EINVAL;
    if (abstime->tv_sec < 0) {
        *deadline_ns = 0; /* long past */
        return 0;
    }
    int64_t abs_ns = mn_timespec_ns(abstime);
    if (clock == CLOCK_MONOTONIC) {
        *deadline_ns = abs_ns;
        return 0;
    }
    struct timespec now_rt;
    clock_gettime(CLOCK_REALTIME, &now_rt);
    int64_t now_mono = mn_nanotime();
    int64_t left = abs_ns - mn_timespec_ns(&now_rt);
    *deadline_ns = left <= 0 ? now_mono : now_mono + left;
    return 0;
}

int mn_rel_deadline(const struct timespec *rel, int64_t *deadline_ns)
{
    if (!valid_nsec(rel->tv_nsec) || rel->tv_sec < 0)
        return EINVAL;
    int64_t now = mn_nanotime();
    if (rel->tv_sec > (INT64_MAX - now) / 1000000000 - 1) {
        *deadline_ns = INT64_MAX - 1;
        return 0;
    }
    *deadline_ns = now + mn_timespec_ns(rel);
    return 0;
}
