/* Thread dumps (issue 14, item 1; Go's SIGQUIT traceback): every program
 * thread (G) with its id, name, state, what it waits for and since when,
 * where it was created and a symbolized backtrace, identical ones grouped
 * with a count. Asked for by
 * - `mnrt dump PID` (tools/launcher/dump.c): signal 32 (glibc's SIGCANCEL,
 *   which no program can block or use) sent with sigqueue and a value of
 *   MN_DUMP_MAGIC; the dump is written to the abstract Unix socket the tool
 *   listens on (MN_DUMP_SOCKET, named after the sender's pid and the
 *   value's cookie);
 * - SIGQUIT while the program leaves it SIG_DFL (mnrt's action then): the
 *   dump goes to stderr, then the process dies by SIGQUIT;
 * - the deadlock report (deadlock.c), and mnrt_dump(fd) (shim/mnrt.h).
 * The same request with the flag MN_DUMP_STATS asks for the live view's
 * snapshot instead (`mnrt top`, stats.h), served the same way.
 *
 * Invariants:
 * - The dump takes no lock a G of the program could hold, and allocates
 *   with mmap only. It runs off any G: on sysmon (requests by signal), on
 *   g0 (mnrt_dump switches there; the deadlock report), on a foreign
 *   thread, or, while there is no sysmon yet (then the main G is the only
 *   G), in the signal handler itself with mn_tls_g cleared and every
 *   signal blocked. It takes the list of Gs under allg_lock only if a
 *   try succeeds (a handler may have interrupted its holder), else walks
 *   it without: a G's memory is given back only from the free list,
 *   long after it left the list of started Gs, under allg_lock (g.c), and
 *   each is listed once (dump_seen).
 *   One dump at a time.
 * - Everything it reads of a G is read without a lock and may be stale; a
 *   G is described from one look at its status: a parked or runnable G
 *   from the frame mn_ctx_switch left at g->sp, a G in a system call
 *   bracket from mn_entersyscall's frame (g->syscall_fp), a running G from
 *   its M's registers, taken by that M in the handler of signal 32 sent
 *   with si_errno MN_DUMP_MARK (only to an M the kernel has running: one
 *   asleep could see EINTR). Its stack is copied with a reader that cannot
 *   fault and unwound with libunwind (unwind.h); one that cannot be
 *   unwound says why.
 * - The handler's part (taking a running G's registers and stack, posting
 *   a request) is async-signal-safe: atomics, a futex wake, system calls. */
#ifndef MN_CORE_DUMP_H
#define MN_CORE_DUMP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mn_g;

/* The request of `mnrt dump`: signal 32 with si_code SI_QUEUE and
 * si_value.sival_ptr = MN_DUMP_MAGIC << 48 | flags << 32 | cookie; the
 * dump is written to the abstract socket "\0" MN_DUMP_SOCKET (the
 * sender's pid, cookie), which the sender listens on. */
#define MN_DUMP_SIGNAL 32
#define MN_DUMP_MAGIC 0x6d6eull                 /* "mn" */
#define MN_DUMP_SOCKET "mnrt-dump-%d-%08x"
#define MN_DUMP_ALL_FRAMES 1u                   /* flag: mnrt's own frames too */
#define MN_DUMP_STATS 2u                        /* flag: the live view's snapshot
                                                 * (stats.h) instead of a dump */
/* si_errno of the signal that asks an M for its running G's stack */
#define MN_DUMP_MARK 0x6d6e7264                 /* "mnrd" */
/* the last line of every dump */
#define MN_DUMP_END "mnrt: end of thread dump\n"

/* Writes a dump to fd, now. Not on a G: mnrt_dump calls it on g0 (self:
 * the G that asked, shown from where it left for g0). Returns 0, or the
 * errno of a failed write. */
int mn_dump_write(int fd, unsigned flags, struct mn_g *self);

/* A G's name (16 bytes, read while it may change) as reports print it:
 * printable ASCII, '?' for anything else and for '"'; dst has 16 bytes. */
void mn_dump_name(char *dst, const char *src);

/* The kernel's action for SIGQUIT while the program's is SIG_DFL
 * (signals.c): a dump to stderr, then death by SIGQUIT. */
void mn_dump_on_sigquit(int sig, siginfo_t *info, void *uc);

/* After a SIGQUIT taken by mnrt's dump handler, in the process that took
 * it: waits for the death by SIGQUIT that ends the dump, or after
 * AWAIT_DEATH_S dies of SIGQUIT itself (a dump blocked on a full stderr
 * pipe, or whose request was dropped). Natively the signal kills first:
 * the thread that took it dies before it could go on or exit; here the
 * dump is sysmon's to write, and meanwhile the sender of a SIGQUIT to
 * its own process (shim/kill.c) would go on, another thread exit with
 * status 0 (a thread's kill(getpid(), SIGQUIT) while main returned: 94-99
 * of 100 children). Called by that sender and at the program's exit
 * (libmnrt's destructor, after the program's atexit handlers); not by
 * _exit. Returns at once in any other case. */
#define AWAIT_DEATH_S 10
void mn_dump_await_death(void);

/* First thing in the handler of signal 32 (shim/cancel.c): whether the
 * signal was the dump's (a request of `mnrt dump`, or the ask for this
 * M's running G). */
bool mn_dump_on_sigcancel(siginfo_t *info, void *uc);

/* In the child of fork: no dump is under way (one in the parent's other
 * threads never ends here) and no request is posted. */
void mn_dump_fork_child(void);

/* sysmon: carries out the requests posted by signal handlers; whether one
 * is posted (it looks before it sleeps). */
void mn_dump_serve(void);
bool mn_dump_pending(void);

/* What a waiting G waits for, as the dump has it: the reason its wait
 * gave, the object (a wait queue's address, or what the waiter named) and
 * a number (an fd, a thread id). The layer above may set describe_wait to
 * say it better ("rwlock 0x... (write)"); it returns the length written,
 * or -1 to leave it to the default ("<reason> <obj>"). */
struct mn_dump_wait {
    const char *reason;
    const void *obj;
    int64_t num;
};
extern int (*mn_dump_describe_wait)(const struct mn_dump_wait *w, char *buf, size_t len);

#endif
