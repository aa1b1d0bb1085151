/* Private header of shim/ (musl's pthread_impl.h is the model): what the
 * exported POSIX names share. Every exported definition carries MN_EXPORT
 * and is listed in exports.map; everything else stays hidden.
 *
 * Conventions of the shim:
 * - An entry point first asks whether the caller is a G (mn_getg()); a
 *   foreign thread (or any thread after fork) is served too, blocking its
 *   kernel thread on a futex of its own (docs/design.md §2).
 * - Objects live in the program's own pthread_*_t storage with glibc's
 *   sizes and static initializers; their waiters live in the address-keyed
 *   wait queues of core/waitq.h. Process-shared objects use kernel futexes
 *   with glibc's layout and protocol (shared with processes mnrt does not
 *   run), their owners named by kernel tids (pshared_owner.c); a G waits
 *   for one in the kernel with its P handed off (mn_shared_wait).
 * - Error codes are glibc's. */
#ifndef MN_SHIM_PTHREAD_IMPL_H
#define MN_SHIM_PTHREAD_IMPL_H

#include "compat/log.h"
#include "compat/real.h"
#include "compat/tcb.h"
#include "core/futex.h"
#include "core/runtime.h"
#include "core/waitq.h"
#include "shim/glibc_names.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define MN_EXPORT __attribute__((visibility("default")))

/* boot.c */
enum { MN_BOOT_NOT_YET, MN_BOOT_UP, MN_BOOT_NATIVE };
extern _Atomic int mn_boot_state;
void mn_boot(void);
/* Whether pthread_exit may unwind g's stack to a frame of mnrt's. */
bool mn_can_unwind(mn_g *g);
/* vfork.c: set in a vfork child until it execs or exits (it shares its
 * parent's memory, so a process-wide word would not do). */
extern __thread bool mn_tls_vfork_child;
/* True when calls should be served by glibc as if mnrt were absent: before
 * boot, when boot refused, in the child of a fork and in a vfork child. */
static inline bool mn_native(void)
{
    return __builtin_expect(atomic_load_explicit(&mn_boot_state, memory_order_relaxed) !=
                                    MN_BOOT_UP ||
                                mn_sched.forked_child || mn_tls_vfork_child,
                            0);
}

/* cputime.c: the CPU-time clock of g (core/cputime.h), as
 * pthread_getcpuclockid gives it. */
clockid_t mn_g_cpuclock(mn_g *g);

/* dump.c: at boot, thread dumps (core/dump.h) with the shim's words for
 * what threads wait for. */
void mn_dump_shim_boot(void);

/* atfork.c: the program's fork handlers (kept by mnrt, not glibc).
 * prepare locks the list and runs the prepare handlers; finish runs the
 * parent's or the child's handlers and unlocks it. */
void mn_atfork_prepare(void);
void mn_atfork_finish(bool child);
/* once.c: first in the child of every fork (not of _Fork, as glibc):
 * pthread_once's routines that were running in the parent are from an
 * older generation there. */
void mn_once_fork_child(void);
/* fork.c: at boot, notices forks glibc makes internally (native child). */
void mn_fork_boot(void);
/* fork.c: in a child process that cannot run under M:N (see fork.c), as
 * its first act: from now on every call is served natively. */
void mn_fork_child_natively(void);
/* create.c: whether a new thread is a G (0), glibc's (-1), or cannot be
 * made now (an errno value), the checks that need a thread glibc made done
 * with the program's first thread (compat/tcb.h); in the child of fork, a
 * first thread the parent was making is made anew. */
int mn_threads_begin(void);
void mn_threads_fork_child(void);
/* stdio_lock.c: at boot, checks glibc's stream lock on a stream of its own. */
void mn_stdio_lock_boot(void);
/* The shim's locks that fork holds (fork.c; docs/lock-order.md). */
extern mn_lock mn_setxid_lock, mn_dlopen_lock, mn_private_memory_lock;

/* time.c: absolute time on clock -> CLOCK_MONOTONIC deadline in ns.
 * Returns 0, or EINVAL for a bad clock or tv_nsec. */
int mn_abs_deadline(clockid_t clock, const struct timespec *abstime, int64_t *deadline_ns);
/* relative duration -> deadline; EINVAL for negative or bad tv_nsec */
int mn_rel_deadline(const struct timespec *rel, int64_t *deadline_ns);

/* ids.c: the caller's owner id for mutexes and rwlocks: a G's unique fake
 * tid, or a foreign thread's kernel tid. Never 0. */
pid_t mn_self_id(void);

/* A kernel futex wait on a word of a process-shared object (another
 * process wakes it): the G's P is handed off meanwhile, as around a
 * blocking system call (docs/design.md §8 kind 2), never kept by an M
 * asleep in the kernel. Returns as mn_futex_wait; errno is kept. */
static inline int mn_shared_wait(_Atomic uint32_t *word, uint32_t val, int64_t deadline_ns)
{
    int err = errno;
    mn_entersyscall();
    int r = mn_futex_wait(word, val, deadline_ns, true);
    mn_exitsyscall();
    errno = err;
    return r;
}

/* Waiting on a 32-bit word: the wait queues for process-private objects,
 * the kernel for process-shared ones. */
static inline int mn_word_wait(_Atomic uint32_t *word, uint32_t val, int64_t deadline_ns,
                               bool shared, const char *reason)
{
    if (shared)
        return mn_shared_wait(word, val, deadline_ns);
    return mn_ufutex_wait(word, val, deadline_ns, reason);
}

static inline void mn_word_wake(_Atomic uint32_t *word, int n, bool shared)
{
    if (shared)
        mn_futex_wake(word, n, true);
    else
        mn_ufutex_wake(word, n);
}

/* pshared_owner.c: owners of process-shared mutexes and rwlocks are
 * kernel tids, valid in every process. mn_pshared_pin pins a G to its
 * kernel thread (each call nests; undone by mn_pshared_unpin) and returns
 * that thread's tid; a thread that is no G gets its own tid. A G holds
 * one pin for each such object it holds. mn_kernel_tid: the same tid,
 * without pinning (stable until the G next parks). */
pid_t mn_pshared_pin(void);
void mn_pshared_unpin(void);
pid_t mn_kernel_tid(void);
/* Around a call of glibc's own code on a process-shared object (it reads
 * the owner id from the caller's descriptor, and may block in the
 * kernel): the G is pinned, its descriptor names its kernel thread's tid
 * and its P may be handed off. end: keep_pinned when the G now holds the
 * object (one pin left for mn_pshared_unpin). errno is kept. */
struct mn_glibc_call {
    mn_g *g;
};
void mn_glibc_call_begin(struct mn_glibc_call *c);
void mn_glibc_call_end(struct mn_glibc_call *c, bool keep_pinned);

/* futex_syscall.c: syscall(SYS_futex, a[0..5]) for any thread. */
long mn_futex_syscall(const long a[6]);
/* Its waits so far: parked, and made in the kernel (mnrt_get_stats). */
void mn_futex_syscall_counts(int64_t *parked, int64_t *kernel, int64_t *kernel_wakes);
/* private_memory.c: whether no other process can map addr's memory. */
bool mn_memory_private(const void *addr);
/* After syscall(n, a...) returned r: a shared mapping it made (mmap,
 * mremap, shmat by number) is noticed as the named calls' are. */
void mn_memory_mapped(long n, const long a[6], long r);
/* syscall(SYS_futex_waitv, ...): a wait in the kernel (futex_syscall.c). */
long mn_futex_waitv_syscall(const long a[6]);

/* mutex.c: the mutex algorithm, shared by pthread_mutex_*, the condition
 * variables and C11 mtx_*. deadline_ns < 0: no deadline. */
int mn_mutex_lock(pthread_mutex_t *m, int64_t deadline_ns, bool try_only);
int mn_mutex_unlock(pthread_mutex_t *m);
int mn_mutex_init_kind(pthread_mutex_t *m, int kind);
/* mutex_robust.c: process-shared robust and priority-inheritance ones */
int mn_mutex_kernel_lock(pthread_mutex_t *m, int64_t deadline_ns, bool try_only);
int mn_mutex_kernel_unlock(pthread_mutex_t *m);
int mn_mutex_kernel_consistent(pthread_mutex_t *m);
/* At a G's exit: the robust ones it still holds go to their next locker
 * with EOWNERDEAD, as when a kernel thread dies holding them. */
void mn_mutex_robust_thread_exit(void);

/* cond_shared.c: process-shared condvars (glibc's layout and protocol);
 * a condvar is one when pthread_cond_init made it so (__wrefs bit 0).
 * mn_cond_shared_boot finds which of glibc's two protocols the running
 * glibc speaks; NULL, or why mnrt cannot serve them (boot refuses). */
const char *mn_cond_shared_boot(void);
bool mn_cond_is_shared(pthread_cond_t *c);
void mn_cond_shared_init(pthread_cond_t *c, bool monotonic);
bool mn_cond_shared_monotonic(pthread_cond_t *c);
int mn_cond_shared_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_ns);
int mn_cond_shared_signal(pthread_cond_t *c);
int mn_cond_shared_broadcast(pthread_cond_t *c);
int mn_cond_shared_destroy(pthread_cond_t *c);

/* key.c: runs the key destructors of the calling thread and frees its
 * key storage, then gives up the robust mutexes it still holds
 * (mn_mutex_robust_thread_exit; at G exit). */
void mn_keys_run_destructors(void);

/* create.c: the stack of new threads whose attribute sets no size: the
 * size pthread_setattr_default_np set, else MNRT_STACK, else glibc's. */
void mn_default_stack(size_t *size, size_t *guard);
/* create.c: the end of every G: TLS and key destructors, then mn_g_exit. */
_Noreturn void mn_thread_finish(void *result);

/* ppoll, pselect, epoll_pwait (shim/signal.c): the call's mask replaces
 * the G's for the call (*old gets the G's). Returns true if a handler ran
 * as it did: the call then fails with EINTR at once, as the kernel's.
 * The end puts the G's mask back, keeping errno. */
bool mn_call_mask_begin(const sigset_t *mask, sigset_t *old);
void mn_call_mask_end(const sigset_t *old);

/* cancel.c: sets the hook that makes cancellation points act (boot). */
void mn_cancel_boot(void);

/* sleep.c: clock_nanosleep as the kernel answers it (what
 * syscall(SYS_clock_nanosleep) gets): an errno value. Parks a G on the
 * clocks mnrt keeps timers for; the others go to the kernel. */
int mn_clock_sleep(clockid_t clock, int flags, const struct timespec *req, struct timespec *rem);

/* At the entry of every cancellation point mnrt serves: a G whose
 * cancellation is requested (and enabled: the hook checks) is unwound
 * here, as glibc's cancellation points do before their system call; one
 * whose call waits is also woken by pthread_cancel (cancel.c). */
static inline void mn_cancel_point(void)
{
    mn_g *g = mn_getg();
    if (g && __builtin_expect(atomic_load_explicit(mn_tcb_cancelhandling(g->tcb),
                                                   memory_order_relaxed) &
                                  MN_CANCEL_CANCELED,
                              0))
        mn_hooks.testcancel();
}

#endif
