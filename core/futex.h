/* Kernel futex calls (raw system calls: libmnrt must not go through names
 * it interposes). Used for the sleeps of kernel threads: idle Ms, foreign
 * threads waiting on mnrt objects, internal locks, process-shared objects. */
#ifndef MN_CORE_FUTEX_H
#define MN_CORE_FUTEX_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Waits while *addr == val, until woken or until the absolute
 * CLOCK_MONOTONIC time deadline_ns (< 0: no deadline). Returns 0 when
 * woken (or spuriously), EAGAIN when *addr != val, ETIMEDOUT, EINTR. */
int mn_futex_wait(const _Atomic uint32_t *addr, uint32_t val, int64_t deadline_ns, bool shared);
/* Same with an absolute deadline on the given clock (REALTIME/MONOTONIC). */
int mn_futex_wait_clock(const _Atomic uint32_t *addr, uint32_t val, clockid_t clock,
                        const struct timespec *abstime, bool shared);
int mn_futex_wake(const _Atomic uint32_t *addr, int n, bool shared);

/* CLOCK_MONOTONIC now, in nanoseconds. */
int64_t mn_nanotime(void);
int64_t mn_timespec_ns(const struct timespec *ts);

#endif
