/* syscall(SYS_futex, ...), as Rust's standard library (Mutex, Condvar,
 * RwLock, mpsc, thread::park, Once) and libstdc++'s C++20 atomic waits,
 * semaphores, latches and barriers make it: a G that waits on a private
 * futex parks on mnrt's wait table keyed by the word's address
 * (core/waitq.h: the word is checked under the bucket lock that wakers
 * take, so no wake-up is lost) instead of blocking its kernel thread.
 *
 * - A private wake reaches both kinds of waiters: Gs in the table first,
 *   then, for what is left of the count, threads blocked in the kernel on
 *   the same word (foreign threads, waits mnrt passed on). Wakers may be
 *   foreign threads too. The second part is a system call, made only
 *   while some wait is in the kernel (a futex or futex_waitv wait made
 *   through syscall()) or the word may be another process's: a wait made
 *   by a raw `syscall` instruction (or an io_uring futex request) on a
 *   word that is woken through syscall(SYS_futex) is the one mnrt does
 *   not see.
 * - A futex the program calls shared parks too when its word is in memory
 *   no other process can map (private_memory.c: libstdc++ 12's C++20
 *   waits are such). Waits on shared memory, PI ones, waits on a bitset
 *   other than "any", futex_waitv and unknown operations go to the
 *   kernel, with the P handed off when they may block. Every wake, shared
 *   or private, wakes the table's waiters on the word first.
 * - FUTEX_REQUEUE, FUTEX_CMP_REQUEUE and FUTEX_WAKE_OP are the kernel's
 *   (the atomic compare or operation is its), and the table's waiters on
 *   the words involved are woken: a futex wait may return 0 spuriously,
 *   and every caller checks its word again.
 * - A parked wait ends with EINTR when a handler ran on the G, as a
 *   kernel futex wait does (its callers retry). An absolute
 *   CLOCK_REALTIME deadline is converted once, at the call. */
#include "shim/pthread_impl.h"

#include "shim/sys.h"

#include <limits.h>
#include <linux/futex.h>

/* syscall(SYS_futex) waits so far, parked and made in the kernel, and
 * wakes made in the kernel */
static _Atomic int64_t parked_waits, kernel_waits, kernel_wakes;
/* waits in the kernel now (kernel_wait): while there are none, a wake of
 * a word no other process can see has nobody to wake there */
static _Atomic int64_t kernel_waiting;

void mn_futex_syscall_counts(int64_t *parked, int64_t *kernel, int64_t *kernel_wakes_made)
{
    *parked = atomic_load_explicit(&parked_waits, memory_order_relaxed);
    *kernel = atomic_load_explicit(&kernel_waits, memory_order_relaxed);
    *kernel_wakes_made = atomic_load_explicit(&kernel_wakes, memory_order_relaxed);
}

static long fail(int err)
{
    errno = err;
    return -1;
}

static long kernel_call(long nr, const long a[6])
{
    return MN_SYS(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static long kernel(const long a[6])
{
    return kernel_call(SYS_futex, a);
}

/* A wait the kernel makes (futex or futex_waitv), counted whoever makes
 * it: also before boot and in a vfork child, whose waits a wake after
 * boot or in the parent must reach. A G's P is handed off meanwhile. */
static long kernel_wait_call(long nr, const long a[6])
{
    atomic_fetch_add_explicit(&kernel_waits, 1, memory_order_relaxed);
    atomic_fetch_add(&kernel_waiting, 1); /* before the kernel reads the word */
    long r = mn_getg() && !mn_native() ? MN_BLOCKING(kernel_call(nr, a)) : kernel_call(nr, a);
    atomic_fetch_sub(&kernel_waiting, 1);
    return r;
}

static long kernel_wait(const long a[6])
{
    return kernel_wait_call(SYS_futex, a);
}

long mn_futex_waitv_syscall(const long a[6])
{
    return kernel_wait_call(SYS_futex_waitv, a);
}

static long park(const long a[6], int cmd)
{
    const struct timespec *ts = (const struct timespec *)a[3];
    int64_t deadline = -1;
    if (ts) {
        clockid_t clock = (a[1] & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;
        int err = cmd == FUTEX_WAIT ? mn_rel_deadline(ts, &deadline)
                                    : mn_abs_deadline(clock, ts, &deadline);
        if (err)
            return fail(err);
    }
    int r = mn_ufutex_wait_intr((_Atomic uint32_t *)a[0], (uint32_t)a[2], deadline, "futex");
    if (r != EAGAIN) /* the word had not changed: it waited */
        atomic_fetch_add_explicit(&parked_waits, 1, memory_order_relaxed);
    return r ? fail(r) : 0;
}

/* Whether a wake of a's word must go to the kernel too. Not when no
 * wait is there (kernel_wait) and the word is this process's alone: a
 * waiter that counts itself after the load below reads the word, which
 * the waker changed before it called, and does not sleep. libstdc++'s
 * notify calls whenever a thread waits, also while it still spins, so a
 * ping-pong made a system call per move. */
static bool kernel_may_wait(const long a[6])
{
    atomic_thread_fence(memory_order_seq_cst); /* the program's store, then the load */
    if (atomic_load(&kernel_waiting) > 0)
        return true;
    return !(a[1] & FUTEX_PRIVATE_FLAG) && !mn_memory_private((void *)a[0]);
}

static long wake(const long a[6])
{
    int n = (int)a[2];
    int woke = n > 0 ? mn_ufutex_wake((_Atomic uint32_t *)a[0], n) : 0;
    if (n > 0 && woke >= n)
        return woke;
    if (!kernel_may_wait(a))
        return woke;
    atomic_fetch_add_explicit(&kernel_wakes, 1, memory_order_relaxed);
    long b[6] = {a[0], a[1], n > 0 ? n - woke : n, a[3], a[4], a[5]};
    long k = kernel(b);
    if (k < 0)
        return woke ? woke : k;
    return woke + k;
}

/* The kernel's operation, then the table's waiters on word (n of them). */
static long kernel_then_table(const long a[6], const void *word, int n, const void *word2,
                              int n2)
{
    long r = kernel(a);
    if (r < 0)
        return r;
    if (n > 0)
        r += mn_ufutex_wake((_Atomic uint32_t *)word, n);
    if (word2 && n2 > 0)
        r += mn_ufutex_wake((_Atomic uint32_t *)word2, n2);
    return r;
}

long mn_futex_syscall(const long a[6])
{
    int op = (int)a[1];
    int cmd = op & FUTEX_CMD_MASK;
    if (mn_native()) /* before boot, in a vfork child: a wait still counts */
        return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET ? kernel_wait(a) : kernel(a);
    bool private = op & FUTEX_PRIVATE_FLAG;
    bool aligned = ((uintptr_t)a[0] & 3) == 0;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        if (mn_getg() && aligned &&
            (cmd == FUTEX_WAIT || (uint32_t)a[5] == FUTEX_BITSET_MATCH_ANY) &&
            (private || mn_memory_private((void *)a[0])))
            return park(a, cmd);
        return kernel_wait(a);
    case FUTEX_WAKE: /* a shared one may have parked waiters too (above) */
        return aligned ? wake(a) : kernel(a);
    case FUTEX_WAKE_BITSET:
        return aligned && (uint32_t)a[5] ? wake(a) : kernel(a);
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        return private && aligned ? kernel_then_table(a, (void *)a[0], INT_MAX, NULL, 0)
                                  : kernel(a);
    case FUTEX_WAKE_OP: /* val2, the second count, comes in the timeout's place */
        return private && aligned
                   ? kernel_then_table(a, (void *)a[0], (int)a[2], (void *)a[4], (int)a[3])
                   : kernel(a);
    default:
        return kernel_wait(a);
    }
}
