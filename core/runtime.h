/* The M:N runtime's shared state (docs/design.md §2-§6, Go's runtime2.go): Gs (the
 * program's threads), Ms (kernel threads that run them) and Ps (the right
 * to run user code, exactly `procs` of them).
 *
 * Who may touch what:
 * - g->status changes by CAS; a G is RUNNING on at most one M. Only the M
 *   running a G (or, right after the G switched away, g0 of that M or the
 *   G that M switched to directly) touches its sp, m and wait fields.
 * - A P's run queue: see runq.h; its other fields belong to the M holding it.
 *   Who holds a P is p->status, one atomic word: owner M and state (see
 *   sched_internal.h). While its G runs program code (USER) or sits in a
 *   system call (SYSCALL), sysmon may take the P away with a CAS; the M then
 *   takes it back with a CAS before it touches the P again, or learns that
 *   it lost it (Go's entersyscall/exitsyscall, applied to all program code
 *   so that blocking mnrt cannot see is handed off too).
 * - sched.lock guards the idle lists (midle, pidle), the global run queue,
 *   the M list and the free-G list (gcache.h); counters readable without
 *   it are atomic.
 * - Nothing parks while holding an mn_lock (lock.h); m->locks counts the
 *   ones an M holds, and the preemption signal leaves an M with any alone
 *   (preempt.h: also what else makes a G safe to preempt). A G parks only by
 *   switching away first (mn_park): to g0, or straight to the next G of its
 *   P, which acts as g0 for it; only then is it marked waiting and the
 *   commit function that publishes it to wakers run (Go's park_m).
 * - Thread dumps (dump.h) and the live view's snapshots (stats.h) read
 *   Gs, Ms and Ps without any lock: each is a snapshot that may be
 *   slightly inconsistent (they never write them but g->dump_seen and
 *   g->stats_cpu/stats_id).
 * - Thread-local: mn_tls_g is the running G in that G's own TLS (each G has
 *   its own TCB), NULL in Ms' and foreign threads' TLS; mn_tls_m is the M in
 *   the M's own TLS (g0), NULL elsewhere, except in a G that finishes a
 *   direct switch: it is NULL and m, as in g0, until that is done. */
#ifndef MN_CORE_RUNTIME_H
#define MN_CORE_RUNTIME_H

#include "core/inline_wait.h"
#include "core/lock.h"
#include "core/randomize.h"
#include "core/runq.h"
#include "core/sanitizer.h"
#include "core/stack.h"
#include "core/timer.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MN_MAX_PROCS 1024

/* The program signal handlers running on a G (core/signals.c
 * mn_sig_handler_enter), innermost last: where each one's frame lies, so
 * that a jump can tell the ones it leaves (below where it lands) without
 * reading their memory, which a handler that ended otherwise (a C++
 * exception, swapcontext) no longer owns; and whether it keeps the G on
 * its M (on the M's alternate stack). Handlers nested deeper than
 * MN_SIG_FRAMES have no place and count as left by any jump. */
#define MN_SIG_FRAMES 8
struct mn_sig_frames {
    uintptr_t at[MN_SIG_FRAMES];
    uint8_t n;               /* places used */
    uint8_t pinned;          /* bit i: at[i]'s handler keeps the G on its M */
    uint16_t unplaced;       /* handlers beyond them */
    uint16_t unplaced_pins;  /* of those, the ones that keep the G on its M */
};

typedef struct mn_g mn_g;
typedef struct mn_m mn_m;
typedef struct mn_p mn_p;
struct mn_waiter;

enum mn_gstatus {
    MN_G_IDLE,      /* allocated, not started, or in the free list */
    MN_G_RUNNABLE,  /* in a run queue */
    MN_G_RUNNING,   /* on an M */
    MN_G_WAITING,   /* parked */
    MN_G_DEAD,      /* finished, waiting to be joined */
};

struct mn_g {
    void *sp;                    /* saved context while not running */
    void *tcb;                   /* its glibc thread descriptor */
    mn_m *m;                     /* the M running it */
    _Atomic uint32_t status;
    int64_t id;                  /* 1 for the main thread */
    pid_t tid;                   /* the unique fake tid in its TCB */
    mn_g *schedlink;             /* run queue / free list link */
    mn_g *free_prev;             /* free list (gcache.h): the G before */
    bool stack_released;         /* in the free list, its stack's pages given back */
    uint32_t free_look;          /* sysmon's look (gcache.c) when it entered the free list */
    char *mem;                   /* the mapping it lives in (gblock.h), NULL: main */
    size_t mem_len;
    struct mn_stack stack;
    struct mn_san_ctx san;       /* the G as the sanitizers see it (sanitizer.h) */
    /* what it waits for while parked: written by it alone, read by others
     * (deadlock check, dumps, stats) */
    _Atomic(const char *) wait_reason;
    /* its parks (mn_park), counted before it is WAITING, by it alone:
     * the deadlock check tells a G parked all along from one that woke
     * and parked again (deadlock.c) */
    _Atomic uint32_t parks;
    sigset_t sigmask;            /* the signal mask the program set */

    void *(*start)(void *);
    void *arg;
    void *result;
    bool c11;                    /* start is really int (*)(void *) (thrd_create) */

    /* join/detach (core/g.c): under join_lock */
    mn_lock join_lock;
    bool detached;
    bool exited;
    bool reaped;                 /* handed back to the free list (once per life) */
    struct mn_waiter *joiner;

    char name[16];               /* pthread_setname_np */
    /* sysmon asks it to yield (MN_PREEMPT_* bits): at its next entry
     * into mnrt, or, at a lock's release, only once a signal could not
     * preempt it where it was (mn_check_preempt_at_release) */
    _Atomic uint8_t preempt;
    uint32_t turn_inputs;        /* waits for input begun since it last started (mn_input_turn) */
    int64_t turn_since;          /* when the first of them began */
    int syscall_depth;           /* nesting of mn_entersyscall brackets */
    bool p_in_syscall;           /* its P was left in SYSCALL state */
    mn_g *allnext, *allprev;     /* all started Gs, under sched.allg_lock */
    bool is_main;

    /* locked to one M (sched.c): set by the G itself (cleared by its M's
     * g0 when it exits), read by the M that schedules it while runnable */
    mn_m *lockedm;
    int lock_count;              /* mnrt_lock_thread calls not undone */
    bool bound;                  /* a thread-bound call made: locked for good */
    bool fork_locked;            /* locked since its fork, until it parks
                                  * (or yields: sched.c yield_fork_lock) */
    stack_t altstack;            /* what the program's sigaltstack set (altstack.h) */
    void *scratch;               /* mn_buf_get's memory (mem.h), kept across reuse */
    size_t scratch_size;
    bool scratch_busy;

    /* signals (signals.h): pending ones and the interruptible wait it is
     * parked in, under siglock (sigpend is also read without it) */
    mn_lock siglock;
    _Atomic uint64_t sigpend;    /* bit sig-1 */
    uint64_t sigpend_proc;       /* the standard ones pending in siginfo that
                                  * the process's are (signals.c) */
    _Atomic uint64_t sigwait_set;/* what it waits for in sigwait & co., in the kernel */
    siginfo_t *siginfo;          /* [64]: each pending one's, kept across reuse */
    struct mn_sig_queue *sigqueue; /* real-time ones beyond the first of each
                                  * number (signals.c), kept across reuse */
    struct mn_waiter *wait_intr;
    int mask_slot;               /* its mask's count in the union (signals.c) */
    bool sig_ran, sig_norestart; /* handlers run since its wait began */
    /* program handlers run on it, ever: a wait in the kernel tells its
     * EINTR from theirs from one for mnrt's own signals (sem_wait) */
    uint32_t handlers_run;
    /* the inline wait its injected call parks for instead of yielding,
     * set by the preemption handler (preempt.h, inline_wait.h) */
    bool converting;
    struct mn_inline_wait convert;
    /* the program handlers running on it (no preemption signal meanwhile:
     * preempt.h), innermost last: signals.c mn_sig_handler_enter */
    struct mn_sig_frames sig_frames;
    /* it is switching away (from the start of mn_park or mn_switch_out
     * until it runs its own code again, sched.c): no program handler
     * runs on it (signals.c g_here); written by the G itself */
    volatile bool switching;
    /* the M it blocks on in a cancellation point the kernel makes
     * (shim/cancel.c), NULL outside one */
    _Atomic(struct mn_m *) cancel_call_m;

    /* for thread dumps (core/dump.h), read there without a lock: what it
     * waits for, written by the G itself before it parks (waiter.c) */
    const void *wait_obj;        /* the object waited on, or NULL */
    int64_t wait_num;            /* an fd, a thread id, a number of fds */
    int64_t wait_since;          /* coarse CLOCK_MONOTONIC ns at the park */
    int64_t wait_until;          /* its deadline, -1: none */
    uintptr_t syscall_pc, syscall_sp, syscall_fp; /* where its system call bracket
                                  * began: the caller's rip, rsp and rbp */
    uintptr_t created_pc;        /* the return address of its creation call */
    int64_t created_by;          /* the id of the G that made it, 0: none */
    uint32_t dump_seen;          /* the last dump that listed it (dump.c) */
    _Atomic uint32_t nswitch;    /* its switches away: a dump's copy of its
                                  * stack is whole if this did not move */

    /* its CPU time (cputime.h): written by the G at its switches */
    _Atomic bool cpu_on;         /* accounted (asked for) */
    int64_t cpu_ns;              /* accounted so far */
    int64_t cpu_in;              /* its M's thread CPU clock when it switched in, 0: none */
    _Atomic uint32_t cpu_seq;    /* odd while those change */
    /* set by the thread that turned accounting on while it ran: its M's
     * clock then, and that M (NULL once the G switched) */
    int64_t cpu_since;
    _Atomic(mn_m *) cpu_since_m;
    /* the live view's (stats.h): its CPU time at the last snapshot, and
     * the id it had then (a G reused since has another) */
    int64_t stats_cpu, stats_id;

    /* Releases (mn_release_turn), since it last parked: */
    int64_t release_since;       /* when the first look at the clock was (0: none yet) */
    uint32_t releases;           /* releases */
    uint32_t release_yields;     /* yields at releases */
    bool woke_here;              /* it readied a G onto its P */
    bool woke_fresh;             /* it did so since its last release */
    bool release_turn_over;      /* the last look found a turn gone since release_since */

    /* the execution trace (exectrace.h): where its last ready was
     * recorded, until its next start (written by the readier before it
     * queues the G, read by the M that starts it) */
    uint64_t xt_ready;
};

enum mn_m_action {
    MN_ACT_NONE, MN_ACT_PARK, MN_ACT_YIELD, MN_ACT_EXIT, MN_ACT_CALL, MN_ACT_QUEUE,
    MN_ACT_YIELD_GLOBAL, /* a yield behind the global queue's Gs (mn_input_turn) */
    MN_ACT_YIELD_TURN,   /* a yield behind its P's Gs, through g0 (mn_input_turn) */
    MN_ACT_YIELD_NEXT,   /* the P's runnext runs now, it next (mn_release_turn) */
    MN_ACT_PREEMPTED     /* its slice ended: to the global queue (mn_yield_preempted) */
};

struct mn_m {
    void *g0sp;                  /* g0's saved context while a G runs */
    void *g0tcb;                 /* the TCB g0 runs with (the M's own) */
    struct mn_san_ctx g0san;     /* g0 as the sanitizers see it (sanitizer.h) */
    mn_g *curg;
    mn_p *p;
    mn_p *nextp;                 /* P handed over by startm */
    bool spinning;
    bool polling;                /* the idle M sleeping in the poller */
    bool reaping;                /* collecting ready I/O: readied Gs queue FIFO */
    int reaped;                  /* Gs it readied while reaping (into its P's queue) */
    int polled;                  /* Gs it readied while polling */
    _Atomic uint32_t wakeup;     /* futex word of stopm/startm */
    _Atomic int64_t stopped_at;  /* since when asleep in stopm, 0 if not (mn_m_stopped_since) */
    mn_m *link;                  /* idle list, or sched.mfree */
    mn_m *allnext;               /* list of all Ms */
    int id;
    pid_t tid;                   /* the kernel thread's real tid */
    pthread_t thread;
    clockid_t cpuclock;          /* this kernel thread's CPU-time clock */
    sigset_t sigmask;            /* the kernel mask now set on this thread,
                                  * unless locks.sigmask_stale */
    void *altstack;              /* its alternate signal stack (altstack.h) */
    size_t altstack_size;
    /* its G switched away from a handler on that stack (sched.c
     * mn_switch_out): until the G runs again, every signal stays blocked */
    bool altstack_held;
    uint64_t rand;
    int64_t switches;
    /* steps of its g0 between Gs: each pass of its scheduling loop and
     * each return from the poller's wait (mn_await_signal_passers) */
    _Atomic uint32_t g0_steps;
    int64_t parks;               /* waits that parked a G on it (mn_park) */
    struct mn_held locks;        /* mn_locks held (lock.h); written by this M only */
    /* sysmon set it just before sending SIGURG: the signal asks this M to
     * preempt its G; the handler takes it back (preempt.h) */
    _Atomic bool preempt_sig;
    /* sysmon set it (after convert) just before sending SIGURG: its G is
     * blocked inline in the wait convert describes, and should park
     * instead (preempt.h); the handler takes it back */
    _Atomic bool convert_sig;
    struct mn_inline_wait convert;

    /* request from the G that switched away, handled by g0 or, after a
     * direct switch, by the next G (sched_internal.h) */
    enum mn_m_action action;
    mn_g *prev_g;                /* the G a direct switch left, until handled */
    mn_g *lockedg;               /* the G locked to this M, which runs nothing else */
    bool tainted;                /* a G changed this kernel thread (bound call) */
    bool (*park_commit)(mn_g *, void *);
    void *park_arg;
    void (*call_fn)(void *);
    void *call_arg;
};

enum mn_pstatus {
    MN_P_IDLE,       /* no M (in the idle list, or being handed over) */
    MN_P_RUNNING,    /* its M runs mnrt code with it */
    MN_P_USER,       /* its M runs program code: sysmon may take it */
    MN_P_SYSCALL,    /* its M is in a system call: sysmon may take it */
    MN_P_DEAD,       /* beyond the current number of Ps */
};

struct mn_p {
    int id;
    _Atomic uint64_t status;     /* owner M id << 32 | enum mn_pstatus */
    mn_m *m;
    uint32_t schedtick;          /* Gs scheduled on it */
    _Atomic bool preempt;        /* sysmon: this schedtick ran its slice (schedule ends it) */
    _Atomic uint32_t syscalltick;/* system calls entered with it */
    mn_p *link;                  /* idle list, or sysmon's list of Ps for new Ms */
    bool new_m_spinning;         /* on sysmon's list: the new M starts spinning */
    struct mn_runq runq;
    struct mn_timers timers;
} __attribute__((aligned(64)));

struct mn_sched {
    mn_lock lock;
    mn_m *midle;
    int nmidle;
    _Atomic int mcount;          /* Ms alive: changed under lock, read without
                                  * (deadlock check, stats, schedtrace) */
    int next_mid;
    int64_t retired_switches;    /* the switch counts of Ms that ended */
    int64_t retired_parks;       /* and their park counts */
    mn_m *mfree;                 /* Ms whose kernel thread ended, for reuse */
    mn_m *allm;
    mn_p *pidle;
    _Atomic int npidle;
    _Atomic int nmspinning;
    _Atomic int procs;           /* Ps in use: allp[0 .. procs-1] */
    _Atomic bool procs_sized;    /* mn_procs_size done: sysmon may resize */
    _Atomic int nallp;           /* Ps ever made (never freed): read without
                                  * sched.lock, so allp[i] is stored before i
                                  * is counted */
    mn_p *allp[MN_MAX_PROCS];

    mn_g *runq_head, *runq_tail; /* global run queue */
    _Atomic int runqsize;

    mn_lock mcreate_lock;        /* held while an M's kernel thread is made */
    _Atomic int ms_held;         /* holds of mn_sched_hold_ms: no M is made */
    _Atomic bool ms_refused;     /* an M was not made meanwhile */
    mn_lock allg_lock;
    mn_g *allg;
    _Atomic int64_t glive;       /* started Gs not yet finished, main included */
    _Atomic int64_t gcreated;
    _Atomic int64_t next_goid;

    /* the idle M that sleeps until the next timer (Go's netpoll blocker) */
    _Atomic int poll_owner;
    _Atomic int64_t poll_until;
    _Atomic uint32_t poll_seq;   /* futex word; bumped to wake the sleeper */

    _Atomic int netpoll_waiters; /* Gs and threads waiting for I/O readiness */
    _Atomic int64_t lastpoll;    /* when ready I/O was last collected */
    int64_t start_ns;
    bool forked_child;           /* after fork(): everything runs natively */
};

extern struct mn_sched mn_sched;
extern __thread mn_g *mn_tls_g;
extern __thread mn_m *mn_tls_m;
/* The G a TCB belongs to, in that TCB's TLS: unlike mn_tls_g it never
 * changes while the G lives, so other threads may read it (a handle -> G).
 * It survives fork() in the child, where every caller of mn_g_from_tcb
 * checks mn_native() first. */
extern __thread mn_g *mn_tls_owner;

/* The M running the caller: the G's, or g0's own (also in a G finishing a
 * direct switch, which acts as g0). NULL on foreign threads. */
static inline mn_m *mn_current_m(void)
{
    mn_g *g = mn_tls_g;
    return g ? g->m : mn_tls_m;
}

/* Since when m has slept in stopm, idle until startm hands it a P
 * (CLOCK_MONOTONIC ns); 0 if it does not (a snapshot: any other thread
 * may read it). */
static inline int64_t mn_m_stopped_since(const mn_m *m)
{
    return atomic_load_explicit(&((mn_m *)m)->stopped_at, memory_order_relaxed);
}

/* Whether g is a started thread that has not finished (a handle to it is
 * good for signals and cancellation). */
/* Whether a program signal handler runs on g. */
static inline bool mn_sig_in_handler(const mn_g *g)
{
    return g->sig_frames.n || g->sig_frames.unplaced;
}

static inline bool mn_g_alive(const mn_g *g)
{
    uint32_t s = atomic_load(&g->status);
    return s != MN_G_IDLE && s != MN_G_DEAD;
}

/* The calling G, or NULL on a foreign thread (or g0, or after fork, or in
 * a G finishing a direct switch for the G before it). */
static inline mn_g *mn_getg(void)
{
    return mn_tls_g;
}

/* Hooks the layer above installs before boot. */
struct mn_hooks {
    /* Runs a new G's program code on the G; must end in mn_g_exit. */
    void (*g_main)(mn_g *g);
    /* The netpoller (syscalls/poller.h), once it is set up. poll_wait: the
     * idle M that sleeps until the next timer sleeps in it, up to
     * timeout_ns (< 0: no limit), with the kernel signal mask sigmask for
     * the wait alone (as ppoll), and readies the Gs whose I/O is ready;
     * poll_now: the same without waiting, for an M looking for work (Go's
     * netpoll(0)), returns whether it readied any; poll_wake ends a wait. */
    void (*_Atomic poll_wait)(int64_t timeout_ns, uint64_t sigmask);
    bool (*_Atomic poll_now)(void);
    void (*_Atomic poll_wake)(void);
    /* NULL, or whether ready I/O may wait to be collected, told without a
     * system call (io_uring's completion queue; epoll cannot tell) */
    bool (*_Atomic poll_ready)(void);
    /* Acts on a cancellation of the calling G that is requested and
     * enabled: unwinds it as glibc's cancellation does (shim/cancel.c);
     * returns otherwise. */
    void (*testcancel)(void);
    /* Parks the calling G until fd may be ready in dir (0 read, 1 write),
     * for a converted inline wait (inline_wait.h); a cancellation point
     * only if cancel_point. Returns 0, or EINTR when a signal handler ran
     * and the interrupted call must fail (core/signals.h). NULL before
     * the netpoller's layer is set up. */
    int (*io_wait)(int fd, int dir, bool cancel_point);
};
extern struct mn_hooks mn_hooks;

/* --- boot (sched.c) --- */
/* Makes what the scheduler needs to start with procs Ps. Returns NULL, or
 * why it could not (then the program must run natively; what was made is
 * left unused). */
const char *mn_sched_prepare(int procs);
/* Makes the calling (main) thread M0 running main_g (after
 * mn_sched_prepare succeeded); cannot fail. */
void mn_sched_boot(int procs, mn_g *main_g);
/* Boot makes one P unless MNRT_PROCS says more. Once, by the first of the
 * program's first thread (before it is made) and sysmon's start: the
 * number of Ps from the affinity and the cgroup's limit (unless
 * MNRT_PROCS fixed it); after it, sysmon follows the limit
 * (mn_sched.procs_sized). In the child of fork, a sizing the parent was
 * making is made again. (procresize.c) */
void mn_procs_size(void);
void mn_procs_fork_child(void);

/* --- scheduling (sched.c) --- */
/* Parks the calling G. Once it is off its stack (on g0, or in the G switched
 * to directly), commit(g, arg) runs after g is marked waiting; if it returns
 * false the park is abandoned and g is runnable again. */
void mn_park(bool (*commit)(mn_g *, void *), void *arg, const char *reason);
/* Makes a waiting G runnable (any thread). */
void mn_ready(mn_g *g);
/* Puts the calling G at the tail of its P's queue (where an idle P may
 * steal it) and runs another; returns at once when nothing else can run. */
void mn_yield(void);
/* The calling G, asked to yield by sysmon (its slice is over: sysmon.h),
 * yields: its P's slice ends (runnext goes behind the ring) and the G
 * goes to the back of the global queue, as Go's preempted goroutines do,
 * while its P runs the Gs of its own queue first. Put back on its own
 * P's queue, a G preempted there never reached the other Ps: a P whose
 * G computes alone is never asked to yield (nobody waits for it), so its
 * G kept a P to itself while the other P's queue took turns (redis 7's
 * four spinning I/O threads at two Ps: one alone on P0 for 4.9 s, three
 * sharing P1; docs/design.md §13). Asked while no G waits, it ends the
 * slice and returns at once, as mn_yield does. */
void mn_yield_preempted(void);
/* Whether a G about to wait for a lock held elsewhere should spin first
 * (Go's canSpin): only while another P runs (the owner may be there) and
 * nothing waits in its own P's queue (better to run that than to spin).
 * A thread that is no G may always spin. */
bool mn_can_spin(void);
/* Runs fn(arg) on the M's own stack and TCB (g0), then resumes the G on
 * the same M (for calls that must run as the kernel thread itself). */
void mn_call_on_g0(void (*fn)(void *), void *arg);
/* Locks the calling G to its M (Go's LockOSThread): from now on it runs
 * only there, and the M runs nothing else. Calls nest; forever: a call
 * that changed the kernel thread itself (shim/bound.c), never undone.
 * Returns false on a thread that is not a G (it is its own thread). */
bool mn_lock_thread(bool forever);
/* Undoes one mn_lock_thread(forever) (forever: the lock for good); the G
 * is free again when neither kind is left. */
void mn_unlock_thread(bool forever);
/* Whether the calling G is locked to its M for good. */
bool mn_thread_bound(void);
/* Before fork: the child's tracer, should it ask to be traced
 * (PTRACE_TRACEME), is the forking kernel thread, so the G stays on it
 * until it traces the child (then it is locked for good) or parks. */
void mn_lock_thread_for_fork(void);

/* G switches and parks since start, over all Ms (mnrt_get_stats). */
void mn_sched_counts(int64_t *switches, int64_t *parks);
/* Adds a timer to the current P (or the first P from a foreign thread) and
 * wakes the sleeping M if the timer is due before its wake-up. */
int mn_timer_start(struct mn_timer *t, int64_t when, mn_timer_fn fn, void *arg);

/* Wakes the idle M that sleeps until the next timer (in the poller when
 * there is one) so that it looks again. */
void mn_poll_break(void);

/* --- the monitor thread (sysmon.c) --- */
/* Starts it, once (sysmon.h says who asks). */
void mn_monitor_ensure(void);
/* Wakes it from whatever it sleeps in. */
void mn_monitor_poke(void);

/* --- blocking system calls (syscall.c) --- */
/* Around a call that may block the kernel thread: its P may be handed to
 * another M meanwhile. Cheap when the call does not block. No-ops on
 * threads that are not Gs. Brackets nest, and the code inside may park
 * (a library call that takes a mutex): the G then simply runs on with a
 * P in USER state. */
void mn_entersyscall(void);
void mn_exitsyscall(void);
/* mn_entersyscall for a call that waits for a device (fsync, fdatasync,
 * msync with MS_SYNC...), which lasts longer than a handoff costs: the P
 * goes to another M at once if Gs wait for it. Ended by mn_exitsyscall. */
void mn_entersyscallblock(void);
/* The calling G's signal handler, which may have interrupted bracketed
 * calls, leaves by a jump (shim/longjmp.c): they are over, with their
 * brackets (a jump never returns into them), and so is its cancellable
 * call. Called before the handlers are counted left: it may switch, and
 * a handler on the alternate stack keeps its G on its M until then. (A
 * jump that lands inside the handler, a library's own setjmp there, is
 * taken for one that leaves it too: the call's own end then finds its
 * bracket ended, and the handler's end its count at 0.) */
void mn_syscall_left_by_jump(void);
/* In a fork's child: counters start afresh. */
void mn_syscall_fork_child(void);

/* g->preempt's bits. ASKED: sysmon found its slice over (core/sysmon.h).
 * AT_RELEASE: it may yield at a release too, where a signal could not
 * preempt it (preempt.h) or none was sent. */
#define MN_PREEMPT_ASKED 1
#define MN_PREEMPT_AT_RELEASE 2

static inline void mn_check_preempt_bits(uint8_t bits)
{
    mn_g *g = mn_tls_g;
    if (g && __builtin_expect(atomic_load_explicit(&g->preempt, memory_order_relaxed) & bits, 0))
        mn_yield_preempted();
    else if (__builtin_expect(mn_randomize, 0))
        mn_randomize_yield();
}

/* A G whose slice sysmon found over yields here: call it where a program
 * enters mnrt often (I/O, system calls). So may any G, at random, under
 * MNRT_DEBUG=randomize (randomize.h). */
static inline void mn_check_preempt(void)
{
    mn_check_preempt_bits(MN_PREEMPT_ASKED);
}

/* The same at the operations that begin or end a critical section (an
 * unlock, a condition variable's signal, sem_post): there a G often holds
 * a lock of the program's own, one built of a mutex and a condition
 * variable (an owner field, Python's GIL, perl's shared variables) or the
 * mutex a signal is sent under. Yielding there, as every preemption did
 * while these points took the ask, left such a lock held by a G that
 * waits for a P in half the preemptions of a thread that takes it in a
 * loop (a fork child then found it held in 87-100 of 100 forks at one P,
 * against 0-1 natively; tests/programs/fork_user_lock). So a G yields
 * here only once sysmon's signal, which stops it where it happens to be
 * as the kernel's timer does, failed or is off (sysmon.c not_yielded). */
static inline void mn_check_preempt_at_release(void)
{
    mn_check_preempt_bits(MN_PREEMPT_AT_RELEASE);
}

/* A G about to wait for input (a read or recv of a socket or pipe, with
 * MSG_DONTWAIT too; poll or ppoll with a timeout) yields first if it
 * began such a wait since it last started, a turn ago or more, and Gs
 * wait for its P or in the global queue (see sched.c for the turn and
 * the ready I/O it collects first): a connection thread whose client
 * keeps pace finds each next request there at once, never parks, and
 * would otherwise serve its client alone until its slice ends (10 ms)
 * while the P's other threads wait. So a busy P serves its threads in
 * turn, between requests (docs/design.md §13). */
void mn_input_turn(void);

/* At a release (an unlock of a mutex mnrt runs, sem_post), a G that has
 * not parked for a turn (sched.c says how long) collects the I/O that
 * came for others if every P is busy, and if it readied Gs onto its P
 * (woken, or by that I/O) lets the one its P runs next go first and
 * comes right after it, as a woken thread preempts its waker on a CPU.
 * A G that keeps taking back a lock it just released (Python's GIL
 * around each system call) otherwise kept the threads it woke, and
 * those whose I/O came, from the P until sysmon collected the I/O (10
 * ms) and ended its slice, at a random point: with the lock held as
 * often as not. fresh: g readied a G since its previous release. */
void mn_release_turn(mn_g *g, bool fresh);
/* A G made or reused, or about to park: a new turn at releases. */
void mn_release_turn_reset(mn_g *g);

/* One release in this many since a G last parked reads the clock. */
#define MN_RELEASES_PER_LOOK 64

static inline void mn_release_point(void)
{
    mn_g *g = mn_tls_g;
    if (g) {
        bool fresh = g->woke_fresh;
        g->woke_fresh = false;
        if (__builtin_expect(++g->releases % MN_RELEASES_PER_LOOK == 0 ||
                                 (fresh && g->release_turn_over),
                             0))
            mn_release_turn(g, fresh);
    }
    mn_check_preempt_at_release();
}

/* --- Gs (g.c) --- */
struct mn_g_spec {
    size_t stack_size;           /* usable bytes when mnrt maps the stack */
    size_t guard_size;
    void *user_stack;            /* lowest address of a program stack, or NULL */
    size_t user_stack_size;
    bool detached;
    const sigset_t *sigmask;     /* NULL: the creator's */
    void *(*start)(void *);
    void *arg;
    bool c11;
    uintptr_t created_pc;        /* where the program asked for it (dumps) */
};
/* Creates a G (not yet runnable). Returns 0 or EAGAIN. */
int mn_g_new(const struct mn_g_spec *spec, mn_g **out);
/* Makes a G from mn_g_new runnable. */
void mn_g_run(mn_g *g);
/* Finishes the calling G (its TLS destructors already ran). */
_Noreturn void mn_g_exit(void *result);
/* join/detach with glibc's error codes in glibc's order, also for the
 * handle of a joined thread (ESRCH; tryjoin EBUSY); deadline_ns -1:
 * none, MN_JOIN_BAD_TIME: an invalid time, EINVAL once the thread is
 * found joinable (glibc 2.41+'s order); try: no wait. */
#define MN_JOIN_BAD_TIME (-2)
int mn_g_join(mn_g *g, void **result, int64_t deadline_ns, bool try_only);
int mn_g_detach(mn_g *g);
/* The G whose TCB is `tcb`, or NULL for a thread that is not a G. tcb
 * must be readable: a live thread's, or a finished G's still kept for
 * reuse (gcache.h); as with glibc, whose stack cache keeps a finished
 * thread's descriptor only so long, the handle of a thread that ended
 * long ago may name memory given back. */
mn_g *mn_g_from_tcb(void *tcb);
/* A small number that names g while its memory lives (from its fake tid,
 * which a G keeps across reuse; the tid of a G whose memory was given
 * back goes to the next new G), and the G it names (started or not), or
 * NULL: none now. */
uint32_t mn_g_index(const mn_g *g);
mn_g *mn_g_from_index(uint32_t i);
/* Whether `tcb` is (or was) a G's TCB, whether or not mn_g_from_tcb maps
 * it right now: it does not while the TCB is being made ready for a new
 * G, when the handle can only be a stale one. */
bool mn_tcb_is_g(void *tcb);
/* sysmon, about every second: gives back the memory of finished Gs the
 * program no longer needs (core/gcache.h). */
void mn_g_trim(void);
/* Calls fn for every started, unfinished G (under the all-G lock). */
void mn_g_foreach(void (*fn)(mn_g *, void *), void *arg);
/* Calls fn for the Gs of the list of started Gs until it returns false,
 * from any thread, a signal handler included (reports: thread dumps, the
 * live view): under the all-G lock if a try succeeds within about 10 ms
 * (a handler may have interrupted its holder), else without it, which is
 * safe because a G leaves the list when it finishes and its memory is
 * given back only later, a second or more, under the all-G lock (g.c);
 * then a G that leaves and re-enters the
 * list meanwhile may be met twice, or the walk end early. At most
 * max_steps Gs are met. fn takes no lock. */
void mn_g_walk(bool (*fn)(mn_g *, void *), void *arg, long max_steps);

/* --- between g.c and sched.c --- */
void mn_sched_start_g(mn_g *g);          /* first time runnable */
void mn_resume_g(mn_g *g);               /* first thing a new G does */
_Noreturn void mn_sched_exit_g(mn_g *g); /* switch away for good */
void mn_g_finish_exit(mn_g *g); /* the rest of an exit, off the G's stack (g0 or the next G) */
/* The main thread as a G (before mn_sched_boot; its descriptor's tid
 * changes here). Its stack is not known yet: see mn_g_main_stack_find. */
mn_g *mn_g_boot_main(void);
/* Makes the main G's stack known (mn_stack_of_main_thread), once: boot
 * leaves it unknown (all zero), because finding it reads /proc/self/maps,
 * 30-70 us of every program's start, which most programs never need.
 * Called before anything reads it: pthread_getattr_np of the main thread,
 * sysmon before its first preemption signal (the handler checks that the
 * interrupted stack is the G's), a thread dump. Until then it is on no
 * stack, which is what those readers assume of a G they know nothing
 * of. */
void mn_g_main_stack_find(void);
/* The main thread's G (its TCB is the main thread's own). */
mn_g *mn_g_main(void);

/* --- in the child of fork (core/fork.c) --- */
/* Every G but self, the forking one, vanished with its thread: their
 * memory goes to the free list, at the child's first look at a G by
 * handle or index or its first new thread (core/g.c: none if it execs
 * first); self is the only live G. Under no lock: the child has one
 * thread, and the lists were whole at fork. */
void mn_g_fork_child(mn_g *self);
/* A g0 of its own for an M that is a thread glibc did not make for mnrt
 * (M0: the main thread at boot, the forking thread in a fork's child).
 * Its TCB comes from glibc's TLS allocator, that is from the program's
 * malloc: a fork makes the child's in the parent, before the program's
 * prepare handlers may lock its allocator (core/fork.h). */
struct mn_g0_parts {
    struct mn_stack stack;
    void *tcb;
};
/* NULL, or why not (nothing was made). */
const char *mn_g0_parts_make(struct mn_g0_parts *g0);
/* Gives back parts that no M took. */
void mn_g0_parts_free(struct mn_g0_parts *g0);
/* The scheduler again on the calling thread, the forking G's M: g0 anew
 * on g0 (made in the parent before the fork), the other Ms free, every P
 * empty, self running on P 0. Allocates nothing. */
void mn_sched_fork_child(mn_g *self, const struct mn_g0_parts *g0);
/* The scheduler's locks, taken in their order across fork. */
void mn_sched_fork_lock(void);
void mn_sched_fork_unlock(void);
/* No M is made while the calling G may hold, parked, a lock that making
 * one takes, when the program's malloc is not glibc's (whose locks no G
 * holds parked). Making an M allocates through that malloc (m_alloc,
 * glibc's pthread_create) and takes glibc's loader lock for TLS
 * (_dl_allocate_tls_init). So from a fork's first prepare handler to its
 * last parent or child one (a prepare handler may hold the allocator's
 * lock until then: jemalloc, tcmalloc), and across dlopen, dlmopen and
 * dlclose (glibc's loader calls that malloc, which may park the G, with
 * its locks held). sysmon waited there for ever, holding mcreate_lock
 * (which a fork takes next) or the P it was making the M for, in whose
 * queue the G that held the lock waited (jemalloc's redis-like forks;
 * mnrt's own dlopen of libunwind beside an allocator with a pthread
 * mutex). A P that wants an M meanwhile goes idle, and the sleeping
 * poll owner is woken for its Gs; the last release wakes an M for what
 * is left. Hold returns whether it holds, once an M being made has been
 * made. A fork's child inherits the parent's count and keeps its own
 * fork's (mn_sched_fork_child). A G locked to its M since its fork lets
 * go of it when it yields meanwhile (core/sched.c yield_fork_lock). */
bool mn_sched_hold_ms(void);
void mn_sched_release_ms(void);

/* fast per-M pseudo random numbers */
static inline uint32_t mn_fastrand(mn_m *m)
{
    m->rand ^= m->rand << 13;
    m->rand ^= m->rand >> 7;
    m->rand ^= m->rand << 17;
    return (uint32_t)(m->rand >> 32);
}

#endif
