/* Kernel futex calls: see futex.h. */
#include "core/futex.h"

#include "compat/raw_syscall.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>

int64_t mn_nanotime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return mn_timespec_ns(&ts);
}

int64_t mn_timespec_ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int futex_result(long r)
{
    return r == -EAGAIN || r == -ETIMEDOUT || r == -EINTR ? (int)-r : 0;
}

int mn_futex_wait(const _Atomic uint32_t *addr, uint32_t val, int64_t deadline_ns, bool shared)
{
    int op = FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG);
    struct timespec ts, *tp = NULL;
    if (deadline_ns >= 0) {
        ts.tv_sec = deadline_ns / 1000000000;
        ts.tv_nsec = deadline_ns % 1000000000;
        tp = &ts;
    }
    return futex_result(mn_raw_syscall(SYS_futex, addr, op, val, tp, NULL, FUTEX_BITSET_MATCH_ANY));
}

int mn_futex_wait_clock(const _Atomic uint32_t *addr, uint32_t val, clockid_t clock,
                        const struct timespec *abstime, bool shared)
{
    int op = FUTEX_WAIT_BITSET | (shared ? 0 : FUTEX_PRIVATE_FLAG) |
             (clock == CLOCK_REALTIME ? FUTEX_CLOCK_REALTIME : 0);
    return futex_result(
        mn_raw_syscall(SYS_futex, addr, op, val, abstime, NULL, FUTEX_BITSET_MATCH_ANY));
}

int mn_futex_wake(const _Atomic uint32_t *addr, int n, bool shared)
{
    long r = mn_raw_syscall(SYS_futex, addr, FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG), n);
    return r < 0 ? 0 : (int)r;
}
