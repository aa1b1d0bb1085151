/* mnrt.h: the small public interface of libmnrt.so besides the POSIX names
 * it interposes. A program (or a test) finds out whether it runs under mnrt
 * with dlsym(RTLD_DEFAULT, "mnrt_version"), reads the scheduler's counters
 * with mnrt_get_stats(), can lock a thread to its kernel thread with
 * mnrt_lock_thread() and writes a thread dump with mnrt_dump(). Stable
 * ABI: fields are only appended; `size` tells the library how much of the
 * struct the caller has. (The library also exports the data symbol
 * mnrt_debug_layout, for debuggers, not programs: shim/debug_layout.c.) */
#ifndef MNRT_H
#define MNRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mnrt_stats {
    size_t size;              /* set by the caller: sizeof(struct mnrt_stats) */
    int32_t procs;            /* number of Ps (like GOMAXPROCS) */
    int32_t idle_procs;       /* Ps with nothing to run */
    int32_t machines;         /* kernel threads made to run Ps (Ms) */
    int32_t idle_machines;    /* Ms asleep for lack of work */
    int32_t spinning_machines;/* Ms looking for work */
    int32_t sysmon;           /* 1 when the monitor thread runs */
    int64_t threads_live;     /* program threads (Gs) alive now, main included */
    int64_t threads_created;  /* Gs ever created, main included */
    int64_t context_switches; /* G switches since start */
    int64_t stacks_cached;    /* finished threads kept for reuse (stack, TCB) */
    int64_t preemptions;      /* threads preempted by signal (asynchronous preemption) */
    /* How waits were served (since start): */
    int64_t parks;            /* a thread parked (locks, I/O, sleeps, futexes, joins, ...) */
    int64_t futex_parks;      /* of them, syscall(SYS_futex) waits (Rust, C++20 atomics) */
    int64_t futex_kernel;     /* syscall(SYS_futex) waits made in the kernel (shared memory, PI) */
    int64_t handoffs;         /* Ps handed on from a kernel thread blocked in a call mnrt
                               * brackets (regular files, waitpid, flock, ...) */
    int64_t unseen_blocks;    /* Ps taken from a kernel thread blocked where mnrt does not
                               * see (stdio I/O, raw system calls, shared futexes) */
    int64_t converted_waits;  /* waits made inline where mnrt does not see them (glibc's
                               * internal locks, stdio's I/O on pipes and sockets) that
                               * were turned into parks instead */
    int64_t watched_waits;    /* parks on locks glibc's own code also takes (stream locks
                               * in flockfile, converted waits), watched by sysmon */
    int64_t futex_kernel_wakes; /* syscall(SYS_futex) wakes also made in the kernel, where a
                                 * wait may have been (shared memory, futex_kernel) */
};

/* Version string of the running library, e.g. "0.1.0". */
const char *mnrt_version(void);

/* Fills *st up to st->size bytes. Returns 0, or -1 with errno = EINVAL when
 * st is NULL or st->size is smaller than the first two fields. */
int mnrt_get_stats(struct mnrt_stats *st);

/* Locks the calling thread to the kernel thread that runs it now, as Go's
 * runtime.LockOSThread: until as many mnrt_unlock_thread calls, it runs
 * only there, and that kernel thread runs no other thread, so that
 * per-kernel-thread state (namespaces, affinity, capabilities, thread-
 * local state of libraries bound to a kernel thread) stays the thread's.
 * A thread that exits while locked takes its kernel thread with it. mnrt
 * locks a thread by itself, for good, when it calls setns, unshare,
 * sched_setaffinity or pthread_setaffinity_np on itself, capset,
 * personality, a per-thread prctl or seccomp. Both return 0. */
int mnrt_lock_thread(void);
int mnrt_unlock_thread(void);

/* Writes a thread dump to fd: every thread with its id, name, state, what
 * it waits for and since when, where it was created and its backtrace,
 * identical ones grouped (what `mnrt dump PID` and SIGQUIT print). The
 * calling thread is shown in mnrt_dump. Returns 0, or -1 with errno: the
 * write's error, or ENOSYS when the program runs natively. */
int mnrt_dump(int fd);

#ifdef __cplusplus
}
#endif
#endif
