/* The scheduler (docs/design.md §5-§6; Go's proc.go): run queues, finding work,
 * stealing, spinning Ms and the wakep rule, idle Ms, parking and readying,
 * and the turns Gs take at input and at releases (mn_input_turn,
 * mn_release_turn, docs/design.md §13).
 *
 * Every M runs g0_loop on its own stack with its own TCB (g0). A G gives
 * control back to g0 by switching to it with a request in m->action
 * (park, yield, exit, call); g0 carries out the request on its own stack,
 * so a G is marked waiting and published to its wakers only after nothing runs
 * on its stack any more (the park invariant of runtime.h). A park or yield
 * whose P has a next G ready switches straight to it instead, and that G
 * carries out the request, in g0's role, before its own code runs
 * (mn_switch_out): the same invariant, half the FS loads.
 *
 * Who owns a P is one atomic word (sched_internal.h): an M switching
 * from a G to g0, or readying a G from program code, first claims its P
 * back from the USER state with a CAS (mn_p_transition); if sysmon took the
 * P meanwhile, the M carries on without one (g0_loop finds it another or
 * stops the M).
 *
 * Locked Gs (Go's LockOSThread; mnrt_lock_thread and the calls that change
 * the kernel thread making them, shim/bound.c): a locked G runs only on
 * its M, and that M runs nothing else. When the G waits, its M gives its P
 * away and sleeps (stoplockedm); an M whose scheduling finds the G hands
 * it its own P and goes idle (startlockedm); no direct switch involves a
 * locked G. When the G exits, its M exits too (its state is the G's, not
 * to be trusted by others); M0, the main thread, is wedged instead.
 *
 * Idle: an M without work gives its P back. One idle M (the poll owner)
 * sleeps until the earliest timer of any P (a timer started while it
 * reads the heaps breaks that sleep: mn_timer_start); the others sleep on
 * their own futex until startm hands them a P. Nothing spins when nothing
 * is runnable: an idle process uses no CPU.
 *
 * The execution trace (exectrace.h) is fed by one call (mn_xtrace_*) where
 * a G is readied, starts or stops, a P is taken or given back, an M
 * starts, sleeps or ends; a ready is recorded before its G is queued, so
 * that no M can start it before.
 *
 * Under MNRT_DEBUG=randomize the choices these rules leave open (where a
 * G goes in a queue, which queue is looked at first, a direct switch or
 * g0's path) are taken at random (randomize.h); the protocols' test
 * points (testpoint.h) are empty in the library. */
#include "core/sched_internal.h"
#include "core/signals.h"

#include "compat/fsbase.h"
#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "compat/tcb.h"
#include "core/context.h"
#include "core/cputime.h"
#include "core/deadlock.h"
#include "core/exectrace.h"
#include "core/futex.h"
#include "core/kthread.h"
#include "core/altstack.h"
#include "core/preempt.h"
#include "core/randomize.h"
#include "core/testpoint.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct mn_sched mn_sched = {
    .lock = MN_LOCK_INIT(SCHED), .mcreate_lock = MN_LOCK_INIT(MCREATE),
    .allg_lock = MN_LOCK_INIT(ALLG)};
__thread mn_g *mn_tls_g;
__thread mn_m *mn_tls_m;
__thread mn_g *mn_tls_owner;
struct mn_hooks mn_hooks;

#define G0_STACK_SIZE (256 * 1024)

/* ---- global run queue (sched.lock) ---- */

void mn_globrunq_put_locked(mn_g *g)
{
    g->schedlink = NULL;
    if (mn_sched.runq_tail)
        mn_sched.runq_tail->schedlink = g;
    else
        mn_sched.runq_head = g;
    mn_sched.runq_tail = g;
    atomic_fetch_add(&mn_sched.runqsize, 1);
}

static void globrunq_put_batch(mn_g **gs, int n)
{
    mn_lock_acquire(&mn_sched.lock);
    for (int i = 0; i < n; i++)
        mn_globrunq_put_locked(gs[i]);
    mn_lock_release(&mn_sched.lock);
}

void mn_runq_hand_out(mn_p *p)
{
    static struct mn_runq taken; /* sysmon's own: it is the only caller */
    bool moved = false;
    mn_g *g;
    while ((g = mn_runq_steal(&taken, &p->runq, true, false))) {
        mn_lock_acquire(&mn_sched.lock);
        do {
            bool from_next;
            mn_globrunq_put_locked(g);
            g = mn_runq_get(&taken, &from_next);
        } while (g);
        mn_lock_release(&mn_sched.lock);
        moved = true;
    }
    if (moved)
        mn_wakep();
}

/* Takes a share of the global queue into p's queue; returns one to run. */
static mn_g *globrunq_get_locked(mn_p *p, int max)
{
    int size = atomic_load(&mn_sched.runqsize);
    if (size == 0)
        return NULL;
    int n = size / atomic_load(&mn_sched.procs) + 1;
    if (n > size)
        n = size;
    if (max > 0 && n > max)
        n = max;
    if (n > MN_RUNQ_SIZE / 2)
        n = MN_RUNQ_SIZE / 2;
    atomic_fetch_sub(&mn_sched.runqsize, n);
    mn_g *g = mn_sched.runq_head;
    mn_sched.runq_head = g->schedlink;
    for (int i = 1; i < n; i++) {
        mn_g *g2 = mn_sched.runq_head;
        mn_sched.runq_head = g2->schedlink;
        mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
        int moved = mn_runq_put(&p->runq, g2, false, overflow);
        for (int k = 0; k < moved; k++) /* cannot happen: n <= free half */
            mn_globrunq_put_locked(overflow[k]);
    }
    if (!mn_sched.runq_head)
        mn_sched.runq_tail = NULL;
    return g;
}

static mn_g *globrunq_get(mn_p *p, int max)
{
    if (atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) == 0)
        return NULL;
    mn_lock_acquire(&mn_sched.lock);
    mn_g *g = globrunq_get_locked(p, max);
    mn_lock_release(&mn_sched.lock);
    return g;
}

static void runq_put(mn_p *p, mn_g *g, bool next)
{
    bool shuffle = __builtin_expect(mn_randomize, 0); /* randomize.h */
    if (shuffle)
        next = mn_randomize_coin();
    mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
    int moved = mn_runq_put(&p->runq, g, next, overflow);
    if (moved)
        globrunq_put_batch(overflow, moved);
    else if (shuffle)
        mn_runq_rotate(&p->runq, mn_fastrand(p->m) % (mn_runq_len(&p->runq) + 1));
}

/* ---- idle Ps and Ms (sched.lock) ---- */

void mn_pidleput_locked(mn_p *p)
{
    mn_xtrace_p(p, NULL, false);
    atomic_store(&p->status, mn_pword(NULL, MN_P_IDLE));
    p->link = mn_sched.pidle;
    mn_sched.pidle = p;
    atomic_fetch_add(&mn_sched.npidle, 1);
}

mn_p *mn_pidleget_locked(void)
{
    mn_p *p = mn_sched.pidle;
    if (p) {
        mn_sched.pidle = p->link;
        atomic_fetch_sub(&mn_sched.npidle, 1);
    }
    return p;
}

mn_p *mn_pidleget(void)
{
    if (atomic_load(&mn_sched.npidle) == 0)
        return NULL;
    mn_lock_acquire(&mn_sched.lock);
    mn_p *p = mn_pidleget_locked();
    mn_lock_release(&mn_sched.lock);
    return p;
}

void mn_acquirep(mn_m *m, mn_p *p)
{
    m->p = p;
    MN_SNAPSHOT_SET(p->m, m);
    atomic_store(&p->status, mn_pword(m, MN_P_RUNNING));
    mn_xtrace_p(p, m, true);
    mn_monitor_notice_busy();
}

bool mn_p_transition(mn_m *m, enum mn_pstatus from, enum mn_pstatus to)
{
    mn_p *p = m->p;
    if (!p)
        return false;
    uint64_t w = mn_pword(m, from);
    if (atomic_compare_exchange_strong(&p->status, &w, mn_pword(m, to)))
        return true;
    m->p = NULL; /* sysmon took it */
    return false;
}

static mn_p *releasep(mn_m *m)
{
    mn_p *p = m->p;
    MN_SNAPSHOT_SET(p->m, NULL);
    m->p = NULL;
    return p;
}

static bool any_runq_nonempty(void);

/* ---- the sleeping poll owner ---- */

void mn_poll_break(void)
{
    atomic_fetch_add(&mn_sched.poll_seq, 1);
    mn_futex_wake(&mn_sched.poll_seq, 1, false);
    void (*wake)(void) = atomic_load(&mn_hooks.poll_wake);
    if (wake && atomic_load(&mn_sched.poll_owner))
        wake();
}

/* Adds a timer to the caller's P's heap (any heap when it has none) and
 * breaks the poll owner's sleep if it sleeps past the timer. The owner
 * reads the heaps after it set poll_until to INT64_MAX and publishes the
 * earliest deadline it read only afterwards (poll_sleep), so either it
 * read this timer or this check finds poll_until later than it: the
 * timer's add and this check, and the owner's store and its reading,
 * are each ordered by a full fence. (poll_until was INT64_MIN while the
 * owner read: a timer added behind its reading broke nothing, and the
 * owner slept past it, for good when it had seen no timer at all: the
 * program thread_cputime_2p hung so, once in CI under UBSan.) With no
 * poll owner, every P runs a G or is about to, and the timer is run at its
 * P's next scheduling decision: sysmon, which ends the slice of a G that
 * others wait for, is told when it would sleep past the timer
 * (mn_monitor_notice_timer, the same fence protocol with its deadline):
 * with two threads computing at two Ps and taking locks, a third one's
 * 1 ms sleeps took 10-12 ms, sysmon's longest tick. Only when Gs wait
 * for the caller's P or in the global queue: else the P, about to go
 * idle, has its M read the timers as the poll owner (a review counted a
 * poke at nearly every tick of a thread sleeping 1 ms in a loop). */
int mn_timer_start(struct mn_timer *t, int64_t when, mn_timer_fn fn, void *arg)
{
    mn_m *m = mn_current_m();
    mn_p *p = m && m->p ? m->p : mn_sched.allp[0]; /* any P's heap will do */
    int err = mn_timer_add(&p->timers, t, when, fn, arg);
    atomic_thread_fence(memory_order_seq_cst); /* the add, before the owner's deadline is read */
    if (err)
        return err;
    if (atomic_load(&mn_sched.poll_owner)) {
        if (when < atomic_load(&mn_sched.poll_until))
            mn_poll_break();
    } else if (m && m->p && (!mn_runq_empty(&m->p->runq) || atomic_load(&mn_sched.runqsize))) {
        mn_monitor_notice_timer(when);
    }
    return 0;
}

int64_t mn_earliest_timer(void)
{
    int64_t when = INT64_MAX;
    for (int i = 0; i < mn_sched.nallp; i++) {
        int64_t w = mn_timers_next(&mn_sched.allp[i]->timers);
        if (w < when)
            when = w;
    }
    return when;
}

void mn_kick_overdue_timers(int64_t now)
{
    /* sysmon's safety net (Go's sysmon does the same): timers due while
     * no M waits for them get an M, and a poll owner that would sleep
     * past them (which poll_sleep's protocol rules out) is woken */
    int64_t due = mn_earliest_timer();
    if (due > now)
        return;
    if (atomic_load(&mn_sched.poll_owner)) {
        if (atomic_load(&mn_sched.poll_until) > due)
            mn_poll_break();
        return;
    }
    mn_p *p = mn_pidleget();
    if (p)
        mn_startm(p, false);
}

static int run_all_timers(int64_t now)
{
    int ran = 0;
    for (int i = 0; i < mn_sched.nallp; i++)
        ran += mn_timers_run(&mn_sched.allp[i]->timers, now);
    return ran;
}

/* m is about to sleep without a G: no program signal may land on it, but
 * those sysmon would take while there is none (signals.h). Its next G's
 * mask is set again when it runs (apply_sigmask). A sleep in the poller
 * needs none of this: the poller's wait takes the same mask for the wait
 * alone (poll_sleep), and the thread keeps its G's mask, so a G with
 * the same mask runs after it without a system call. */
static void m_quiet(mn_m *m)
{
    if (m->altstack_held) /* every signal is blocked already (mn_switch_out) */
        return;
    uint64_t mask = mn_sig_idle_mask();
    if (m->locks.sigmask_stale || mn_sig_bits(&m->sigmask) != mask) {
        m->locks.sigmask_stale = false;
        atomic_signal_fence(memory_order_seq_cst);
        mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, sizeof mask);
        __atomic_store_n((uint64_t *)&m->sigmask, mask, __ATOMIC_RELEASE); /* (may_pass_signals) */
    }
}

/* Sleeps until the earliest timer, ready I/O or a poll_break, in the
 * poller when there is one (Go's blocking netpoll); runs due timers.
 * Called by an M that holds no P. The Gs it readies go to the global queue
 * without waking another M: this one takes a P for them. Returns false if
 * another M already is the poll owner. */
static bool poll_sleep(mn_m *m)
{
    int zero = 0;
    if (!atomic_compare_exchange_strong(&mn_sched.poll_owner, &zero, 1))
        return false;
    uint32_t seq = atomic_load(&mn_sched.poll_seq);
    /* reading the heaps: every timer started from now on breaks the sleep
     * (mn_timer_start), as the reading may miss it */
    atomic_store(&mn_sched.poll_until, INT64_MAX);
    atomic_thread_fence(memory_order_seq_cst); /* the store, before the heaps are read */
    int64_t until = mn_earliest_timer();
    MN_TEST_POINT(MN_TP_POLL_UNTIL, m);
    atomic_store(&mn_sched.poll_until, until);
    if (until == INT64_MAX && atomic_load(&mn_sched.npidle) == atomic_load(&mn_sched.procs) &&
        !any_runq_nonempty())
        mn_deadlock_check();
    int64_t now = mn_nanotime();
    void (*wait)(int64_t, uint64_t) = atomic_load(&mn_hooks.poll_wait);
    __atomic_store_n(&m->polling, true, __ATOMIC_RELAXED); /* (mn_await_signal_passers) */
    m->polled = 0;
    if (!wait) /* (the poller sets the idle mask for its wait alone) */
        m_quiet(m);
    /* global work and an idle P: go and take it instead of sleeping */
    bool work = atomic_load(&mn_sched.runqsize) && atomic_load(&mn_sched.npidle);
    int64_t since = mn_xtrace_now();
    if (until > now && !work) {
        if (wait)
            wait(until == INT64_MAX ? -1 : until - now, mn_sig_idle_mask());
        else
            mn_futex_wait(&mn_sched.poll_seq, seq, until == INT64_MAX ? -1 : until, false);
    } else if (wait) {
        atomic_load(&mn_hooks.poll_now)();
    }
    atomic_store(&mn_sched.lastpoll, mn_nanotime());
    atomic_fetch_add_explicit(&m->g0_steps, 1, memory_order_release);
    mn_xtrace_m(m, MN_XT_M_SLEEP, since, m->polled, MN_XT_POLL_M);
    atomic_store(&mn_sched.poll_until, INT64_MAX);
    atomic_store(&mn_sched.poll_owner, 0);
    run_all_timers(mn_nanotime());
    __atomic_store_n(&m->polling, false, __ATOMIC_RELAXED);
    return true;
}

/* ---- Ms ---- */

static void g0_loop(mn_m *m);
static void retire_m(mn_m *m);

/* Runs on the M's own kernel thread. */
static void m_init_common(mn_m *m)
{
    m->tid = (pid_t)mn_raw_syscall(SYS_gettid);
    m->cpuclock = mn_kthread_cpuclock(m->tid);
    m->rand = __builtin_expect(mn_randomize, 0) ? mn_randomize_seed_m(m->id)
                                                : (uint64_t)(uintptr_t)m * 0x9e3779b97f4a7c15ull | 1;
    mn_real.sigprocmask(SIG_SETMASK, NULL, &m->sigmask);
    if (!m->altstack) /* an M of a fork's child keeps its thread's */
        mn_altstack_init(m);
}

static void *m_thread_main(void *arg)
{
    mn_m *m = arg;
    m->g0tcb = mn_thread_pointer();
    mn_san_adopt(&m->g0san);
    mn_tls_m = m;
    mn_tls_held = &m->locks;
    m_init_common(m);
    mn_acquirep(m, m->nextp);
    m->nextp = NULL;
    mn_xtrace_m(m, MN_XT_M_START, 0, 0, 0);
    g0_loop(m); /* returns when the G locked to it exited */
    retire_m(m);
    return NULL;
}

/* Ms are never freed: an M whose kernel thread ended goes to sched.mfree
 * for the next one (sysmon may still be looking at it through an old
 * p->m: it reads valid memory, and its CAS on the P word decides). */
static mn_m *m_alloc(void)
{
    mn_lock_acquire(&mn_sched.lock);
    mn_m *m = mn_sched.mfree;
    if (m)
        mn_sched.mfree = m->link;
    mn_lock_release(&mn_sched.lock);
    if (m)
        memset(m, 0, sizeof *m);
    else if (!(m = calloc(1, sizeof *m)))
        return NULL;
    /* its thread starts with every signal blocked (newm), and until it
     * runs it may pass on nothing (mn_await_signal_passers) */
    *(uint64_t *)&m->sigmask = mn_sig_blockable();
    mn_lock_acquire(&mn_sched.lock);
    m->id = mn_sched.next_mid++;
    mn_sched.mcount++;
    m->allnext = mn_sched.allm;
    mn_sched.allm = m;
    mn_lock_release(&mn_sched.lock);
    return m;
}

/* m leaves the list of Ms for sched.mfree: its kernel thread ends, or
 * was never made. */
static void m_free(mn_m *m)
{
    mn_lock_acquire(&mn_sched.lock);
    for (mn_m **pm = &mn_sched.allm; *pm; pm = &(*pm)->allnext)
        if (*pm == m) {
            *pm = m->allnext;
            break;
        }
    mn_sched.mcount--;
    mn_sched.retired_switches += m->switches;
    mn_sched.retired_parks += m->parks;
    m->link = mn_sched.mfree;
    mn_sched.mfree = m;
    mn_lock_release(&mn_sched.lock);
}

/* Starts a new M that will run with p, unless Ms are held off
 * (mn_sched_hold_ms). Often called on a G's stack, with its TCB in FS:
 * glibc's allocators may leave errno changed even when they succeed, and
 * that errno is the G's, so it is put back. */
static bool newm(mn_p *p, bool spinning)
{
    int saved_errno = errno;
    mn_lock_acquire(&mn_sched.mcreate_lock);
    if (atomic_load(&mn_sched.ms_held)) {
        atomic_store(&mn_sched.ms_refused, true);
        mn_lock_release(&mn_sched.mcreate_lock);
        return false;
    }
    mn_m *m = m_alloc();
    int err = ENOMEM;
    if (m) {
        m->nextp = p;
        m->spinning = spinning;
        uint64_t mask = mn_sig_block_for_start();
        err = mn_real.pthread_create(&m->thread, NULL, m_thread_main, m);
        mn_sig_unblock_after_start(mask);
        if (!err) /* nobody joins an M: its kernel thread ends when retired */
            mn_real.pthread_detach(m->thread);
    }
    mn_lock_release(&mn_sched.mcreate_lock);
    errno = saved_errno;
    if (err) {
        if (m)
            m_free(m);
        mn_warn_once("cannot create a kernel thread: %s (running on fewer)", strerror(err));
        return false;
    }
    return true;
}

void mn_startm_new(mn_p *p, bool spinning)
{
    MN_TEST_POINT(MN_TP_STARTM_NEW, p);
    if (newm(p, spinning))
        return;
    if (spinning)
        atomic_fetch_sub(&mn_sched.nmspinning, 1);
    mn_lock_acquire(&mn_sched.lock);
    mn_pidleput_locked(p);
    mn_lock_release(&mn_sched.lock);
    if (!mn_p_has_work(p) && !atomic_load(&mn_sched.runqsize))
        return;
    if (atomic_load(&mn_sched.ms_held))
        mn_poll_break(); /* an M that sleeps there takes p for its Gs */
    else
        mn_wakep(); /* the hold ended meanwhile: its release may have found no idle P */
}

/* Whether the calling thread may make a kernel thread. Making one
 * allocates with the program's malloc (m_alloc, and glibc's
 * pthread_create for the new thread's TLS), and a new kernel thread
 * inherits its creator's namespaces, affinity and credentials, which a
 * locked M's G may have changed (shim/bound.c). sysmon, which holds no P
 * and is started before any G changes its kernel thread, always may.
 * Others only on g0 of an M that is not locked or tainted, on its own TCB
 * (a G finishing a direct switch acts as g0 on its own TCB: it may have
 * parked inside malloc; a G itself may be inside it: an allocator that
 * unlocks a pthread mutex readies a G, which wants an M), and only when
 * malloc is glibc's: an allocator whose locks are pthread mutexes
 * (jemalloc) may have its lock held by the very G g0 stands in for, which
 * parked, yielded or was preempted inside it; g0 would wait for that lock
 * forever with the P the G needs to run (test malloc_lock_yield; redis
 * hung so at start). glibc's own locks are never held by a G that parks.
 * (Making Ms on sysmon alone delayed process-directed signals: sysmon
 * blocks every signal while glibc clones, and a program's kill of itself
 * then often lost the race with its exit: segv_kill_thread, 1 run in 10.)
 * Those that may not ask sysmon. */
static bool may_make_m_here(void)
{
    mn_m *m = mn_tls_m;
    return mn_monitor_thread() ||
           (mn_tcb_glibc_malloc() && !mn_tls_g && m && !m->lockedg && !m->tainted &&
            mn_thread_pointer() == m->g0tcb);
}

/* Runs p on an idle M (or a new one). */
void mn_startm(mn_p *p, bool spinning)
{
    mn_lock_acquire(&mn_sched.lock);
    mn_m *m = mn_sched.midle;
    if (m) {
        mn_sched.midle = m->link;
        mn_sched.nmidle--;
    }
    mn_lock_release(&mn_sched.lock);
    if (!m) {
        if (may_make_m_here() || !mn_monitor_start_m(p, spinning))
            mn_startm_new(p, spinning);
        return;
    }
    m->spinning = spinning;
    m->nextp = p;
    atomic_store(&m->wakeup, 1);
    mn_futex_wake(&m->wakeup, 1, false);
}

/* Wakes an idle P for newly runnable work, unless an M is already
 * spinning (it will find the work) or no P is idle (Go's wakep). */
void mn_wakep(void)
{
    if (atomic_load(&mn_sched.npidle) == 0 || atomic_load(&mn_sched.nmspinning) != 0)
        return;
    int zero = 0;
    if (!atomic_compare_exchange_strong(&mn_sched.nmspinning, &zero, 1))
        return;
    mn_p *p = mn_pidleget();
    if (!p) {
        atomic_fetch_sub(&mn_sched.nmspinning, 1);
        return;
    }
    mn_startm(p, true);
}

/* Sleeps until startm hands this M a P. */
static void stopm(mn_m *m)
{
    int64_t since = mn_xtrace_now();
    m_quiet(m);
    mn_lock_acquire(&mn_sched.lock);
    m->link = mn_sched.midle;
    mn_sched.midle = m;
    mn_sched.nmidle++;
    mn_lock_release(&mn_sched.lock);
    atomic_store_explicit(&m->stopped_at, mn_nanotime(), memory_order_relaxed);
    while (atomic_exchange(&m->wakeup, 0) == 0)
        mn_futex_wait(&m->wakeup, 0, -1, false);
    atomic_store_explicit(&m->stopped_at, 0, memory_order_relaxed);
    mn_acquirep(m, m->nextp);
    m->nextp = NULL;
    mn_xtrace_m(m, MN_XT_M_SLEEP, since, 0, MN_XT_IDLE_M);
}

static void become_spinning(mn_m *m)
{
    m->spinning = true;
    atomic_fetch_add(&mn_sched.nmspinning, 1);
}

static void reset_spinning(mn_m *m)
{
    m->spinning = false;
    atomic_fetch_sub(&mn_sched.nmspinning, 1);
    mn_wakep(); /* we found work: there may be more */
}

/* ---- finding work ---- */

static bool p_timers_due(mn_p *p, int64_t *now)
{
    int64_t next = mn_timers_next(&p->timers);
    if (next == INT64_MAX)
        return false;
    if (!*now)
        *now = mn_nanotime();
    return next <= *now;
}

static mn_g *steal_work(mn_m *m)
{
    mn_p *p = m->p;
    int n = atomic_load(&mn_sched.procs);
    int64_t now = 0;
    for (int round = 0; round < 4; round++) {
        bool last = round == 3;
        uint32_t start = mn_fastrand(m) % (uint32_t)n;
        for (int k = 0; k < n; k++) {
            mn_p *v = mn_sched.allp[(start + (uint32_t)k) % (uint32_t)n];
            if (v == p)
                continue;
            if (last && p_timers_due(v, &now)) {
                mn_timers_run(&v->timers, now); /* readies into our P */
                bool next;
                mn_g *g = mn_runq_get(&p->runq, &next);
                if (g)
                    return g;
            }
            /* An IDLE P's queue is not always empty: sysmon took the P
             * from a blocked M and is handing it on, maybe waiting for the
             * program's malloc to make it an M while a G in that queue
             * holds the malloc's lock (a jemalloc program hung so). */
            enum mn_pstatus vs = mn_pstate(v);
            if (vs == MN_P_DEAD)
                continue;
            mn_g *g = mn_runq_steal(&p->runq, &v->runq, last, vs == MN_P_USER);
            if (g) {
                mn_xtrace_steal(m, v->id, g);
                return g;
            }
        }
    }
    return NULL;
}

static bool any_runq_nonempty(void)
{
    for (int i = 0; i < mn_sched.nallp; i++)
        if (!mn_runq_empty(&mn_sched.allp[i]->runq))
            return true;
    return atomic_load(&mn_sched.runqsize) != 0;
}

/* Collects ready I/O without waiting (Go's netpoll(0)) if some G waits
 * for I/O; returns whether there was any. On g0 (findrunnable) the Gs it
 * readies queue FIFO on m's P, and one M more is woken if more than one
 * came; from a G, each ready wakes as any ready does. */
static bool netpoll_now(mn_m *m)
{
    bool (*poll_now)(void) = atomic_load_explicit(&mn_hooks.poll_now, memory_order_relaxed);
    if (!poll_now || atomic_load(&mn_sched.netpoll_waiters) == 0)
        return false;
    int64_t since = mn_xtrace_now();
    m->reaping = true;
    m->reaped = 0;
    bool any = poll_now();
    m->reaping = false;
    mn_xtrace_netpoll(since, any ? -1 : 0);
    atomic_store(&mn_sched.lastpoll, mn_nanotime());
    if (m->reaped > 1)
        mn_wakep(); /* more than this M will run (Go's injectglist) */
    return any;
}

/* Blocks until there is a G to run; returns it with a P held. */
static mn_g *findrunnable(mn_m *m)
{
    for (;;) {
        mn_p *p = m->p;
        int64_t now = 0;
        if (p_timers_due(p, &now))
            mn_timers_run(&p->timers, now);
        bool next;
        mn_g *g = mn_runq_get(&p->runq, &next);
        if (g)
            return g;
        if ((g = globrunq_get(p, 0)))
            return g;
        if (netpoll_now(m) && (g = mn_runq_get(&p->runq, &next)))
            return g;

        int busy = atomic_load(&mn_sched.procs) - atomic_load(&mn_sched.npidle);
        if (m->spinning || 2 * atomic_load(&mn_sched.nmspinning) < busy) {
            if (!m->spinning)
                become_spinning(m);
            if ((g = steal_work(m)))
                return g;
        }

        /* Nothing: give the P back, unless work came meanwhile (the test
         * mn_handoffp makes: sched_internal.h) */
        mn_lock_acquire(&mn_sched.lock);
        if (mn_p_has_work(p)) {
            if (!(g = mn_runq_get(&p->runq, &next)))
                g = globrunq_get_locked(p, 0);
            if (g) {
                mn_lock_release(&mn_sched.lock);
                return g;
            }
        }
        releasep(m);
        mn_pidleput_locked(p);
        bool all_idle = atomic_load(&mn_sched.npidle) == atomic_load(&mn_sched.procs);
        mn_lock_release(&mn_sched.lock);
        if (all_idle && atomic_load(&mn_sched.poll_owner))
            mn_poll_break(); /* the sleeping M re-checks for a deadlock */

        bool was_spinning = m->spinning;
        if (m->spinning) {
            /* A spinning M must look once more after it stopped spinning,
             * or work readied meanwhile could wait for nobody (Go's
             * "delicate dance"). */
            m->spinning = false;
            atomic_fetch_sub(&mn_sched.nmspinning, 1);
            if (any_runq_nonempty()) {
                mn_p *p2 = mn_pidleget();
                if (p2) {
                    mn_acquirep(m, p2);
                    become_spinning(m);
                    continue;
                }
            }
        }
        /* The poll owner keeps the role until it gets a P: the timers of
         * idle Ps must always have an M waiting for them. */
        bool got_p = false;
        while (!got_p && poll_sleep(m)) {
            int readied = m->polled;
            mn_p *p2 = mn_pidleget();
            if (p2) {
                mn_acquirep(m, p2);
                if (was_spinning)
                    become_spinning(m);
                if (readied > 1)
                    mn_wakep(); /* more than this M will run */
                got_p = true;
            } else if (readied) {
                mn_wakep();
            }
        }
        if (got_p)
            continue;
        stopm(m);
    }
}

/* A P beyond the current number of Ps (procresize lowered it) is given
 * up at the next scheduling point: its Gs and timers move elsewhere. */
static void retire_dead_p(mn_m *m)
{
    while (m->p && m->p->id >= atomic_load(&mn_sched.procs)) {
        mn_p *p = m->p;
        mn_lock_acquire(&mn_sched.lock);
        if (p->id < atomic_load(&mn_sched.procs)) { /* grown back: still ours */
            mn_lock_release(&mn_sched.lock);
            break;
        }
        releasep(m);
        atomic_store(&p->status, mn_pword(NULL, MN_P_DEAD));
        mn_lock_release(&mn_sched.lock);
        mn_p_drain(p);
        mn_p *p2 = mn_pidleget();
        if (p2)
            mn_acquirep(m, p2);
        else
            stopm(m);
    }
}

/* Whether schedule() takes its next G from the global queue before its
 * P's own: every 61st schedule on the P (fairness to the global queue, as
 * Go), or when the P's time slice expired. Asked by schedule() and by
 * only_local_work(), which lets a direct switch bypass schedule(). */
static bool global_turn(const mn_p *p, bool expired)
{
    return p->schedtick % 61 == 0 || expired;
}

/* MNRT_DEBUG=randomize (randomize.h): the global queue, or another P's
 * queue, before this P's own, each a third of the time (NULL: the own).
 * A steal takes up to half a victim's ring (MN_RUNQ_SIZE / 2): only into
 * a ring with room for that. */
static mn_g *random_source(mn_m *m, mn_p *p)
{
    switch (mn_fastrand(m) % 3) {
    case 0:
        return globrunq_get(p, 1);
    case 1:
        return mn_runq_len(&p->runq) < MN_RUNQ_SIZE / 2 ? steal_work(m) : NULL;
    default:
        return NULL;
    }
}

/* Ends p's time slice if sysmon found it over (p->preempt): runnext goes
 * behind the Gs that wait in the ring. Returns whether it did. */
static bool end_slice(mn_p *p)
{
    if (!atomic_load_explicit(&p->preempt, memory_order_relaxed) ||
        !atomic_exchange(&p->preempt, false))
        return false;
    mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
    int moved = mn_runq_demote_next(&p->runq, overflow);
    if (moved)
        globrunq_put_batch(overflow, moved);
    return true;
}

/* Finds m's next G. preempted: the G m ran was just preempted into the
 * global queue, behind the Gs that wait there, and its P's due timers and
 * queue go first, not the global queue's turn (every 61st schedule),
 * which would take it straight back: a thread woken by its timer then
 * waited a whole slice more (hog_latency's p99 at one P: 3.2 ms against
 * 1.1 before the global queue). Then the P takes one G from the global
 * queue, not a share of it as findrunnable() does: with three spinners
 * at two Ps the share was the G ahead and the preempted one itself, back
 * in its own P's queue, and two of the three never moved (a review). */
static mn_g *schedule(mn_m *m, bool preempted)
{
    retire_dead_p(m);
    mn_p *p = m->p;
    mn_g *g = NULL;
    bool inherit = false;
    /* sysmon found this time slice over (sysmon.h). Gs that hand each other
     * runnext share one slice (below) and may never call in where a G's
     * preempt flag is checked, so the slice ends here, whichever G holds it:
     * runnext goes behind the Gs that wait in the ring, and the global queue
     * and the ring go first (as a preempted G goes behind the global queue's:
     * mn_yield_preempted). */
    bool expired = end_slice(p);
    if (!preempted && global_turn(p, expired))
        g = globrunq_get(p, 1);
    if (!g && __builtin_expect(mn_randomize, 0))
        g = random_source(m, p);
    if (!g) {
        int64_t now = 0;
        if (p_timers_due(p, &now))
            mn_timers_run(&p->timers, now);
        g = mn_runq_get(&p->runq, &inherit);
    }
    if (!g && preempted)
        g = globrunq_get(p, 1);
    if (!g) {
        g = findrunnable(m);
        inherit = false;
    }
    if (m->spinning)
        reset_spinning(m);
    /* A G from runnext shares the time slice of the G that readied it (Go's
     * inheritTime): two Gs handing each other runnext look like one G to
     * sysmon, which asks them to yield after their slice. */
    if (!inherit)
        mn_p_tick(m->p);
    return g;
}

/* ---- Ms that may pass a signal on ---- */

/* Whether m may have taken a signal only to pass it on: it runs no G and
 * its kernel mask still accepts program signals (its last G's; the idle
 * mask accepts none: m_quiet). */
static bool may_pass_signals(mn_m *m)
{
    if (__atomic_load_n(&m->curg, __ATOMIC_ACQUIRE))
        return false;
    uint64_t mask = __atomic_load_n((const uint64_t *)&m->sigmask, __ATOMIC_ACQUIRE);
    return (~mask & mn_sig_blockable()) != 0;
}

/* At most this many are looked at a time (a stack array): more are
 * waited for in further batches. */
#define PASSERS_BATCH 64

/* Collects, in seen, the Ms that may pass a signal on after the first
 * `skip` of them in sched.allm, with their steps. Returns how many. */
static int passers_after(int skip, mn_m **seen, uint32_t *steps)
{
    int n = 0, found = 0;
    mn_lock_acquire(&mn_sched.lock);
    for (mn_m *m = mn_sched.allm; m && n < PASSERS_BATCH; m = m->allnext) {
        uint32_t s = atomic_load_explicit(&m->g0_steps, memory_order_acquire);
        if (may_pass_signals(m) && found++ >= skip) {
            seen[n] = m;
            steps[n++] = s;
        }
    }
    mn_lock_release(&mn_sched.lock);
    return n;
}

void mn_await_signal_passers(int64_t deadline)
{
    mn_m *seen[PASSERS_BATCH];
    uint32_t steps[PASSERS_BATCH];
    int skip = 0, n;
    do {
        n = passers_after(skip, seen, steps);
        skip += n;
        for (int i = 0; i < n;) {
            mn_m *m = seen[i];
            if (!may_pass_signals(m) ||
                atomic_load_explicit(&m->g0_steps, memory_order_acquire) != steps[i]) {
                i++;
                continue;
            }
            int64_t now = mn_nanotime();
            if (now >= deadline)
                return;
            if (__atomic_load_n(&m->polling, __ATOMIC_RELAXED))
                mn_poll_break(); /* its wait ends: the next step */
            _Atomic uint32_t never = 0;
            mn_futex_wait(&never, 0, now + PASSERS_LOOK_NS < deadline ? now + PASSERS_LOOK_NS : deadline,
                          false);
        }
    } while (n == PASSERS_BATCH);
}

/* ---- switching ---- */

void mn_sched_counts(int64_t *switches, int64_t *parks)
{
    mn_lock_acquire(&mn_sched.lock);
    *switches = mn_sched.retired_switches;
    *parks = mn_sched.retired_parks;
    for (mn_m *m = mn_sched.allm; m; m = m->allnext) {
        *switches += m->switches;
        *parks += m->parks;
    }
    mn_lock_release(&mn_sched.lock);
}

/* g is about to run on m: everything but its signal mask and the switch. */
static void begin_running(mn_m *m, mn_g *g)
{
    *(struct mn_held **)mn_tcb_tls_slot(g->tcb, &mn_tls_held) = &m->locks;
    MN_SNAPSHOT_SET(g->m, m); /* read by signal senders (signals.c mn_sig_send) */
    MN_SNAPSHOT_SET(m->curg, g);
    atomic_store_explicit(&g->preempt, false, memory_order_relaxed);
    g->turn_inputs = 0;
    atomic_store_explicit(&g->status, MN_G_RUNNING, memory_order_relaxed);
    m->switches++;
    mn_xtrace_start(m, g);
}

/* The kernel mask of m's thread becomes g's (each G has its own), except
 * that the preemption signal is never blocked (preempt.h). */
static void apply_sigmask(mn_m *m, mn_g *g)
{
    uint64_t want = *(const uint64_t *)&g->sigmask & ~mn_preempt_sigbit;
    if (m->locks.sigmask_stale || want != *(const uint64_t *)&m->sigmask) {
        m->locks.sigmask_stale = false;
        atomic_signal_fence(memory_order_seq_cst);
        sigset_t mask = g->sigmask;
        *(uint64_t *)&mask = want;
        mn_real.sigprocmask(SIG_SETMASK, &mask, NULL);
        __atomic_store_n((uint64_t *)&m->sigmask, want, __ATOMIC_RELEASE); /* (may_pass_signals) */
    }
}

/* m's alternate signal stack fits the one g asked for (altstack.h). */
static void fit_altstack(mn_m *m, mn_g *g)
{
    if (__builtin_expect(g->altstack.ss_size > m->altstack_size, 0) &&
        !(g->altstack.ss_flags & SS_DISABLE))
        mn_altstack_fit(m, g->altstack.ss_size);
}

void mn_sigmask_reopen(void)
{
    mn_g *g = mn_tls_g;
    if (!g) /* (g0's stays until the M's next G or sleep) */
        return;
    g->m->locks.sigmask_stale = true; /* set it, whatever m->sigmask says */
    apply_sigmask(g->m, g);
}

static void execute(mn_m *m, mn_g *g)
{
    mn_lockrank_switch(g->id, "is switched to by", m->id);
    begin_running(m, g);
    if (m->altstack_held) /* set once it runs on that stack (mn_resume_g) */
        m->locks.sigmask_stale = true;
    else
        apply_sigmask(m, g);
    fit_altstack(m, g);
    atomic_store(&m->p->status, mn_pword(m, MN_P_USER));
    mn_san_switch(&g->san, g->tcb);
    mn_ctx_switch(&m->g0sp, g->sp, g->tcb);
}

static void queue_globally(mn_g *g)
{
    atomic_store(&g->status, MN_G_RUNNABLE);
    mn_lock_acquire(&mn_sched.lock);
    mn_globrunq_put_locked(g);
    mn_lock_release(&mn_sched.lock);
}

/* Carries out what the G that just switched away asked for, on g0 or in
 * its place (finish_direct_switch). Returns a G to resume at once, or NULL
 * to schedule. m->p is NULL if the P was lost while the G ran. */
static mn_g *after_switch(mn_m *m, mn_g *g)
{
    enum mn_m_action action = m->action;
    m->action = MN_ACT_NONE;
    MN_SNAPSHOT_SET(m->curg, NULL);
    MN_SNAPSHOT_SET(g->m, NULL);
    switch (action) {
    case MN_ACT_PARK:
        atomic_store(&g->status, MN_G_WAITING);
        MN_TEST_POINT(MN_TP_PARK_COMMIT, g);
        if (m->park_commit && !m->park_commit(g, m->park_arg)) {
            atomic_store(&g->status, MN_G_RUNNABLE);
            return g;
        }
        MN_TEST_POINT(MN_TP_PARK_COMMITTED, g);
        return NULL;
    case MN_ACT_YIELD: /* to the back of the queue, where an idle P may steal it */
    case MN_ACT_YIELD_TURN:
        if (m->p) {
            atomic_store(&g->status, MN_G_RUNNABLE);
            runq_put(m->p, g, false);
        } else {
            queue_globally(g);
        }
        mn_wakep();
        return NULL;
    case MN_ACT_YIELD_NEXT: /* runnext runs now, g next: not behind the others */
        atomic_store(&g->status, MN_G_RUNNABLE);
        if (!m->p) {
            queue_globally(g);
            mn_wakep();
            return NULL;
        }
        return atomic_exchange_explicit(&m->p->runq.runnext, g, memory_order_acq_rel);
    case MN_ACT_PREEMPTED:
        /* the slice ends here, not in schedule(), which would take the
         * global queue's Gs first, g among them */
        if (m->p)
            end_slice(m->p);
        /* fall through */
    case MN_ACT_QUEUE: /* exitsyscall found no P for it */
    case MN_ACT_YIELD_GLOBAL:
        queue_globally(g);
        mn_wakep();
        return NULL;
    case MN_ACT_EXIT:
        mn_g_finish_exit(g);
        return NULL;
    case MN_ACT_CALL:
        m->call_fn(m->call_arg);
        return g;
    case MN_ACT_NONE:
        break;
    }
    mn_fatal("G %lld switched away without a request", (long long)g->id);
}

/* ---- Gs locked to their M ---- */

/* Gives up m's P: to another M if there is work, to the idle list if not
 * (a P beyond the current number of Ps is retired, as retire_dead_p). */
static void give_away_p(mn_m *m)
{
    mn_p *p = releasep(m);
    if (p->id >= atomic_load(&mn_sched.procs)) {
        atomic_store(&p->status, mn_pword(NULL, MN_P_DEAD));
        mn_p_drain(p);
        return;
    }
    mn_handoffp(p);
}

/* m's locked G waits (or was queued): m gives its P away and sleeps until
 * an M that scheduled the G hands it a P (startlockedm); m then runs it. */
static void stoplockedm(mn_m *m)
{
    int64_t since = mn_xtrace_now();
    if (m->p)
        give_away_p(m);
    m_quiet(m);
    while (atomic_exchange(&m->wakeup, 0) == 0)
        mn_futex_wait(&m->wakeup, 0, -1, false);
    mn_acquirep(m, m->nextp);
    m->nextp = NULL;
    mn_xtrace_m(m, MN_XT_M_SLEEP, since, 0, MN_XT_LOCKED_M);
}

/* m's scheduling came to g, which only its own M runs: m hands that M its
 * P and sleeps until it is given another one (Go's startlockedm). */
static void startlockedm(mn_m *m, mn_g *g)
{
    mn_m *lm = g->lockedm;
    lm->nextp = releasep(m);
    atomic_store(&lm->wakeup, 1);
    mn_futex_wake(&lm->wakeup, 1, false);
    stopm(m);
}

/* The kernel thread of m ends: its G locked to it exited. */
static void retire_m(mn_m *m)
{
    if (m->p)
        give_away_p(m);
    mn_xtrace_m(m, MN_XT_M_EXIT, 0, 0, 0);
    mn_altstack_free(m);
    m_free(m);
}

/* The scheduling loop of an M, on its g0. Returns when the G locked to m
 * exited: m must end (retire_m). */
static void g0_loop(mn_m *m)
{
    for (;;) {
        atomic_fetch_add_explicit(&m->g0_steps, 1, memory_order_release);
        mn_g *prev = m->curg;
        bool locked_exit = prev && prev == m->lockedg && m->action == MN_ACT_EXIT;
        bool preempted = prev && m->action == MN_ACT_PREEMPTED;
        if (locked_exit) {
            prev->lockedm = NULL;
            m->lockedg = NULL;
        }
        mn_g *g = prev ? after_switch(m, prev) : NULL;
        if (locked_exit) {
            m_quiet(m); /* it runs no G again (mn_await_signal_passers) */
            return;
        }
        if (m->lockedg) { /* m runs its G or nothing */
            if (g && !m->p) { /* it lost its P while the G ran */
                queue_globally(g);
                mn_wakep();
                g = NULL;
            }
            if (!g) {
                stoplockedm(m);
                g = m->lockedg;
            }
            execute(m, g);
            continue;
        }
        if (!m->p) { /* lost to sysmon while the G ran: find another, or stop */
            if (g) {
                queue_globally(g);
                g = NULL;
            }
            mn_p *p = mn_pidleget();
            if (p)
                mn_acquirep(m, p);
            else
                stopm(m);
        }
        if (!g)
            g = schedule(m, preempted);
        if (g->lockedm) {
            startlockedm(m, g);
            continue;
        }
        execute(m, g);
    }
}

static void g0_entry(void *arg)
{
    mn_m *m = arg;
    g0_loop(m);
    /* M0 is the main thread: the process would end with it. Wedged. */
    if (m->p)
        give_away_p(m);
    for (;;)
        mn_futex_wait(&m->wakeup, 0, -1, false);
}

/* Whether schedule() on m would look at nothing but m's own run queue: no
 * turn of the global queue (global_turn, as schedule() asks it), no due
 * timers, no P being retired; and, when randomized, no random look
 * elsewhere (half the time, as schedule() takes one: random_source). */
static bool only_local_work(mn_m *m)
{
    mn_p *p = m->p;
    int64_t now = 0;
    return p && p->id < atomic_load(&mn_sched.procs) &&
           !global_turn(p, atomic_load_explicit(&p->preempt, memory_order_relaxed)) &&
           !p_timers_due(p, &now) && !(__builtin_expect(mn_randomize, 0) && mn_randomize_coin());
}

static void make_runnable(mn_g *g, bool next, bool create);

/* What g0 would have done with the G a direct switch left (after_switch),
 * done by the G switched to, in g0's place: as g0, it readies Gs onto its
 * P, and the program's errno is left as it was. The thread's signal mask
 * is still the previous G's, and the P stays RUNNING, until this is done. */
static void finish_direct_switch(mn_g *self, mn_m *m)
{
    mn_g *prev = m->prev_g;
    m->prev_g = NULL;
    if (!m->p)
        mn_fatal("M %d lost its P during a direct switch", m->id);
    int saved_errno = errno;
    mn_tls_g = NULL;
    mn_tls_m = m;
    MN_TEST_POINT(MN_TP_DIRECT_SWITCH, prev);
    mn_g *again = after_switch(m, prev);
    if (again) /* its park was called off: it runs soon, here or elsewhere */
        make_runnable(again, true, false);
    mn_tls_m = NULL;
    mn_tls_g = self;
    MN_SNAPSHOT_SET(m->curg, self);
    errno = saved_errno;
    apply_sigmask(m, self);
    fit_altstack(m, self);
    atomic_store(&m->p->status, mn_pword(m, MN_P_USER));
}

/* A G switching to g0 from a program handler that runs on its M's
 * alternate signal stack (signals.c run_handler keeps such a G on its M
 * while it waits: a handler that yields in sem_post) leaves its frames
 * there. g0 is not on that stack, so the kernel would deliver a signal
 * whose action has SA_ONSTACK (the preemption signal's, mnrt's SIGSEGV,
 * the program's) at the stack's top, over those frames; the G's
 * sigreturn then resumed g0's context with the G's TLS (signal_wakes
 * under load: SIGSEGV, 1-2 runs in 100). So every signal but glibc's
 * two stays blocked on m until the G runs there again, the faults'
 * numbers too (a review: a SIGSEGV or SIGBUS sent by kill still landed
 * there): m_quiet leaves the mask, and execute lets mn_resume_g set the
 * G's own once on that stack, where the kernel nests signals below the
 * live frames. */
static void hold_altstack(mn_m *m)
{
    if (!mn_altstack_running_on(m))
        return;
    /* the faults too: one sent by kill is no fault (a real fault on g0
     * is fatal, and the kernel unblocks it); not glibc's two, whose
     * handlers run on the current stack (a setxid round waits for them) */
    uint64_t all = ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)) | (1ull << 31) | (1ull << 32));
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof all);
    __atomic_store_n((uint64_t *)&m->sigmask, all, __ATOMIC_RELEASE);
    m->locks.sigmask_stale = false;
    m->altstack_held = true;
}

/* g begins to switch away (mn_park, mn_switch_out): from here until it
 * runs its own code again (end_switch) no program signal handler runs on
 * it (signals.c g_here). Such a handler may park or yield the G; the
 * switch would then go on with the state it had handed to its M (a
 * park's commit), or with an M the G has left. */
static inline void begin_switch(mn_g *g)
{
    g->switching = true;
    atomic_signal_fence(memory_order_seq_cst);
}

/* g runs its own code again: its pending signals run now (one that came
 * during the switch was left pending in it, signals.c). */
static inline void end_switch(mn_g *g)
{
    g->switching = false;
    atomic_signal_fence(memory_order_seq_cst);
    if (__builtin_expect(atomic_load_explicit(&g->sigpend, memory_order_relaxed) != 0, 0))
        mn_sig_deliver_pending();
}

void mn_resume_g(mn_g *g)
{
    mn_m *m = g->m;
    if (m->prev_g)
        finish_direct_switch(g, m);
    m->altstack_held = false;
    if (__builtin_expect(m->locks.sigmask_stale, 0)) /* a signal between execute and here */
        apply_sigmask(m, g);
    mn_lockrank_switch(g->id, "resumes on", m->id);
    mn_cputime_in(g);
    end_switch(g);
}

void mn_switch_out(mn_g *g, enum mn_m_action action)
{
    begin_switch(g);
    mn_lockrank_switch(g->id, "switches away from", g->m->id);
    mn_cputime_out(g);
    atomic_store_explicit(&g->nswitch, atomic_load_explicit(&g->nswitch, memory_order_relaxed) + 1,
                          memory_order_release);
    mn_m *m = g->m;
    enum mn_pstatus from = g->p_in_syscall ? MN_P_SYSCALL : MN_P_USER;
    g->p_in_syscall = false;
    mn_p_transition(m, from, MN_P_RUNNING); /* or lose it: g0 copes */
    m->action = action;
    bool inherit = false;
    mn_g *next = NULL;
    bool direct = (action == MN_ACT_PARK || action == MN_ACT_YIELD || action == MN_ACT_EXIT) &&
                  only_local_work(m);
    if (direct && !m->lockedg) {
        next = mn_runq_get(&m->p->runq, &inherit);
        if (next && next->lockedm) { /* only its own M runs it: g0 hands it over */
            runq_put(m->p, next, true);
            next = NULL;
            direct = false;
        }
    }
    if (direct && !next && action == MN_ACT_YIELD && mn_runq_empty(&m->p->runq) &&
        !atomic_load(&mn_sched.runqsize)) {
        /* g0 would queue it and take it right back */
        m->action = MN_ACT_NONE;
        mn_p_tick(m->p);
        atomic_store_explicit(&g->preempt, false, memory_order_relaxed);
        atomic_store(&m->p->status, mn_pword(m, MN_P_USER));
        mn_cputime_in(g);
        end_switch(g);
        return;
    }
    mn_xtrace_stop(g, action);
    if (next) {
        if (!inherit)
            mn_p_tick(m->p);
        m->prev_g = g;
        begin_running(m, next);
        mn_san_switch(&next->san, next->tcb);
        mn_ctx_switch(&g->sp, next->sp, next->tcb);
    } else {
        hold_altstack(m);
        mn_san_switch(&m->g0san, m->g0tcb);
        mn_ctx_switch(&g->sp, m->g0sp, m->g0tcb);
    }
    mn_resume_g(g);
}

/* ---- the API ---- */

/* g, locked to its M since its fork (mn_lock_thread_for_fork), did not
 * trace what it forked: it is free again. */
static void end_fork_lock(mn_g *g)
{
    g->fork_locked = false;
    mn_unlock_thread(false);
}

/* g yields: locked since its fork while Ms are held off (its fork's
 * handlers run), it lets go of its M, which would otherwise hand its P to another M that
 * cannot be made now (mn_sched_hold_ms) and wait for g for ever. */
static void yield_fork_lock(mn_g *g)
{
    if (__builtin_expect(g->fork_locked, 0) && atomic_load(&mn_sched.ms_held))
        end_fork_lock(g);
}

void mn_park(bool (*commit)(mn_g *, void *), void *arg, const char *reason)
{
    if (__builtin_expect(mn_randomize, 0))
        mn_randomize_yield(); /* its wakers may come before its commit */
    mn_g *g = mn_tls_g;
    begin_switch(g); /* before it reads g->m: no handler moves it now */
    if (g->fork_locked)
        end_fork_lock(g);
    mn_m *m = g->m;
    m->parks++;
    mn_release_turn_reset(g);
    atomic_store_explicit(&g->parks, atomic_load_explicit(&g->parks, memory_order_relaxed) + 1,
                          memory_order_relaxed); /* before its WAITING (deadlock.c) */
    atomic_store_explicit(&g->wait_reason, reason, memory_order_relaxed);
    m->park_commit = commit;
    m->park_arg = arg;
    MN_TEST_POINT(MN_TP_PARK_SWITCH, g);
    mn_switch_out(g, MN_ACT_PARK);
    atomic_store_explicit(&g->wait_reason, NULL, memory_order_relaxed);
}

/* Puts g where the calling thread can run it: runnext of the caller's P,
 * or the global queue (foreign threads, Ms without a P, a lost P).
 * create: g was just made (the execution trace tells it from a ready). */
static void make_runnable(mn_g *g, bool next, bool create)
{
    mn_m *m = mn_current_m();
    /* g0 holds its P, and so does a G in the middle of a switch (a signal
     * handler that interrupted it); a G in program code claims it back */
    bool held = m && m->p &&
                (!mn_tls_g || atomic_load(&m->p->status) == mn_pword(m, MN_P_RUNNING));
    bool claimed = m && mn_tls_g && !held && mn_p_transition(m, MN_P_USER, MN_P_RUNNING);
    mn_xtrace_ready(g, create); /* before anyone may run it */
    if (claimed) {
        runq_put(m->p, g, next);
        if (!create) /* mn_release_turn */
            mn_tls_g->woke_here = mn_tls_g->woke_fresh = true;
        atomic_store(&m->p->status, mn_pword(m, MN_P_USER));
        mn_wakep();
        return;
    }
    if (held) { /* Gs readied by I/O queue FIFO */
        runq_put(m->p, g, next && !m->reaping);
        if (m->reaping) /* findrunnable runs the first itself, wakes for more */
            m->reaped++;
        else
            mn_wakep();
        return;
    }
    mn_lock_acquire(&mn_sched.lock);
    mn_globrunq_put_locked(g);
    mn_lock_release(&mn_sched.lock);
    if (m && m->polling) { /* the polling M takes a P for it itself */
        m->polled++;
        return;
    }
    mn_wakep();
}

void mn_ready(mn_g *g)
{
    uint32_t waiting = MN_G_WAITING;
    if (!atomic_compare_exchange_strong(&g->status, &waiting, MN_G_RUNNABLE))
        mn_fatal("ready of G %lld in state %u", (long long)g->id, waiting);
    make_runnable(g, true, false);
}

bool mn_can_spin(void)
{
    mn_g *g = mn_tls_g;
    if (!g)
        return true;
    if (atomic_load(&mn_sched.procs) <=
        atomic_load(&mn_sched.npidle) + atomic_load(&mn_sched.nmspinning) + 1)
        return false;
    mn_p *p = g->m->p;
    return p && mn_runq_empty(&p->runq);
}

void mn_yield(void)
{
    mn_g *g = mn_tls_g;
    if (!g) {
        sched_yield();
        return;
    }
    yield_fork_lock(g);
    mn_switch_out(g, MN_ACT_YIELD);
}

void mn_yield_preempted(void)
{
    mn_g *g = mn_tls_g;
    yield_fork_lock(g);
    /* asked while nobody waits (sysmon asks after 10 ms whatever waits):
     * the slice ends here, and the yield returns at once without the
     * global queue's lock and a wake of an idle P's M that would take the
     * G elsewhere (mn_switch_out's direct yield; with the P's mark left
     * set it would go through g0: only_local_work) */
    mn_p *p = g->m->p;
    bool alone = !p || (mn_runq_empty(&p->runq) &&
                        !atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed));
    if (alone && p)
        end_slice(p);
    mn_switch_out(g, alone ? MN_ACT_YIELD : MN_ACT_PREEMPTED);
}

/* A G's turn at input (mn_input_turn): it yields at its first input wait
 * after this long, if others wait. Measured (machine C, 2026-12-06):
 * 20, 50, 100 and 300 us; longer turns lengthen the echo server's p99 at
 * 10 connections (a yielded G waits for the others' turns), shorter ones
 * cost MariaDB's point selects throughput (a switch per request). */
#define TURN_NS (50 * 1000)
/* Turns at releases (mn_release_turn): one release in MN_RELEASES_PER_LOOK
 * since a G last parked reads the clock, and so does each release after a
 * wake once the turn was found over; a G that parks before (a ping-pong, a
 * server's thread that waits for its next request) reads none. A turn
 * after that first look, the G collects ready I/O at its looks and, if it
 * readied Gs onto its P, lets the P's next G (runnext: the one readied
 * last) run first and comes next, at a release that follows a wake it made
 * since the one before, or, two turns on, at any look. Making a thread is
 * no wake. A lock's holder often wakes a waiter while it holds it (a
 * signal under the mutex) and releases it right after; a G that took the
 * lock back since then holds it at other releases as often as not (a
 * thread that takes a GIL back after each system call made 10 tries per
 * hand-over at random releases). The turn goes on after the yield, so a
 * hand-over that failed (the woken thread found the lock taken back and
 * waited again) is tried again at the next wake; but only
 * RELEASE_YIELDS_PER_TURN times: a producer that never parks then handed
 * each item to its consumer (a C++ queue with a condition variable, 2
 * million items at one P: 0.07 s before the turns, 0.25 with yields for
 * the whole turn). Not while a P is idle or an M spins: that one takes
 * runnext (the same queue at two Ps: 0.11 s before, 0.23 when the yield
 * pulled the consumer back onto the producer's P). The G yields into
 * runnext, behind the G it lets go first, not behind the P's queue:
 * yielding there at every look once its turn was over left the P to queued
 * Gs that compute, for their slices (its mutex operations fell from 36
 * million in 2 s to 26,000 beside two spinners, one P; review). Their turn
 * comes when the P's slice ends (sysmon sets p->preempt; the yield then
 * goes through schedule(), which ends it). Measured (machine C,
 * 2026-12-06; docs/design.md §13): a look in 16 releases cost the
 * 64-thread contended mutex 12%, one in 64 3%; collecting I/O at every
 * release while threads waited for it cost MariaDB's point selects 30% of
 * their throughput (one look at the completion queue per unlock, 40% more
 * CPU per query). */
#define RELEASE_YIELDS_PER_TURN 8
/* How often Gs collect ready I/O at input and at releases with epoll,
 * whose collection is a system call. */
#define INPUT_POLL_NS (20 * 1000)
/* A G about to wait for input collects ready I/O only when at most this
 * many Gs wait for its P and in the global queue together: collecting
 * into a long queue made the queues overflow into the global one, served
 * once in 61 schedulings (docs/design.md §9). But a thread that computes
 * is often queued alone, in the global queue once preempted: a G that
 * wrote to its peer and waits for its own input then left the peer's
 * readiness for sysmon's 10 ms poll, and the peer behind the computing
 * thread's slice (Python with a thread computing, one P: 18 ms a hop;
 * docs/design.md §13; tests/io/input_behind_hog_one_p, 11 ms a hop while
 * this counted only the P's own queue and required an empty global one). */
#define INPUT_COLLECT_QUEUED 2

/* Ends g's turn if Gs wait for its P, or else in the global queue.
 * Through g0, not straight to the next G, which would carry out the
 * yield on its own stack, below the deep frames of its own wait for
 * input: each thread of an echo server at 1,000 connections then kept
 * one page more (RSS + kernel stacks 15.2-15.5 MB, 19.2-19.3 with
 * direct yields). Other yields stay direct: sched_yield between 2
 * threads took 59 ns through g0, 23 direct. */
static void end_turn(mn_g *g, mn_p *p)
{
    bool local = !mn_runq_empty(&p->runq);
    if (!local && atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) == 0)
        return;
    yield_fork_lock(g);
    /* behind the global queue's Gs: the P takes the oldest next */
    mn_switch_out(g, local ? MN_ACT_YIELD_TURN : MN_ACT_YIELD_GLOBAL);
}

/* Collects ready I/O onto g's P while threads wait for it and no P is
 * idle (an idle M would collect it): io_uring's when its completion
 * queue holds entries (a look without a system call); epoll's at most
 * every INPUT_POLL_NS across Ms, since only a system call can tell.
 * (Rate-limiting only collections that found nothing let two threads
 * that hand a byte back and forth beside a computing one, a few us
 * apart, each collect the other's input; but it cost the echo server
 * at 10 connections 5-8% of its requests: docs/design.md §13.) */
static void collect_ready_io(mn_g *g, int64_t now)
{
    if (atomic_load_explicit(&mn_sched.netpoll_waiters, memory_order_relaxed) == 0 ||
        atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) != 0)
        return;
    bool (*ready)(void) = atomic_load_explicit(&mn_hooks.poll_ready, memory_order_relaxed);
    if (ready ? ready()
              : now - atomic_load_explicit(&mn_sched.lastpoll, memory_order_relaxed) >
                    INPUT_POLL_NS)
        netpoll_now(g->m); /* the Gs it readies set g->woke_here */
}

void mn_input_turn(void)
{
    mn_g *g = mn_tls_g;
    if (!g)
        return;
    mn_p *p = g->m->p;
    int64_t now = mn_nanotime();
    /* Few Gs wait for this P: but the input that came meanwhile for
     * threads parked elsewhere may, which nobody collects while every P
     * is busy (an M without work polls, or sleeps in the poller), and
     * this G may have just made it. At every wait, not only at a turn's
     * end: a G that yields for other reasons (a random yield under
     * MNRT_DEBUG=randomize) starts a new turn each time. */
    if (p && mn_runq_len(&p->runq) +
                     atomic_load_explicit(&mn_sched.runqsize, memory_order_relaxed) <=
                 INPUT_COLLECT_QUEUED)
        collect_ready_io(g, now);
    if (g->turn_inputs++ == 0) {
        g->turn_since = now;
        return;
    }
    if (p && now - g->turn_since >= TURN_NS)
        end_turn(g, p);
}

void mn_release_turn_reset(mn_g *g)
{
    g->woke_here = g->woke_fresh = g->release_turn_over = false;
    g->releases = g->release_yields = 0;
    g->release_since = 0;
}

void mn_release_turn(mn_g *g, bool fresh)
{
    mn_p *p = g->m->p;
    /* Not inside a program lock's release within mnrt (its allocator's),
     * a signal handler (it would return on another M, with the first
     * one's alternate stack) or a system call bracket. */
    if (!p || g->m->locks.count || mn_sig_in_handler(g) || g->syscall_depth)
        return;
    int64_t now = mn_nanotime();
    if (!g->release_since)
        g->release_since = now;
    int64_t ran = now - g->release_since;
    g->release_turn_over = ran >= TURN_NS;
    if (!g->release_turn_over)
        return;
    collect_ready_io(g, now);
    fresh |= g->woke_fresh;
    g->woke_fresh = false;
    if (!g->woke_here || !(fresh || ran >= 2 * TURN_NS) || g->lockedm ||
        !atomic_load_explicit(&p->runq.runnext, memory_order_relaxed) ||
        atomic_load_explicit(&mn_sched.npidle, memory_order_relaxed) ||
        atomic_load_explicit(&mn_sched.nmspinning, memory_order_relaxed))
        return; /* (an idle or spinning M takes runnext soon) */
    if (++g->release_yields == RELEASE_YIELDS_PER_TURN)
        mn_release_turn_reset(g);
    if (atomic_load_explicit(&p->preempt, memory_order_relaxed))
        mn_switch_out(g, MN_ACT_YIELD_TURN); /* the slice is over: schedule() ends it */
    else
        mn_switch_out(g, MN_ACT_YIELD_NEXT);
}

void mn_call_on_g0(void (*fn)(void *), void *arg)
{
    mn_g *g = mn_tls_g;
    if (!g) {
        fn(arg);
        return;
    }
    begin_switch(g); /* before it reads g->m: no handler moves it now */
    g->m->call_fn = fn;
    g->m->call_arg = arg;
    mn_switch_out(g, MN_ACT_CALL);
}

bool mn_lock_thread(bool forever)
{
    mn_g *g = mn_tls_g;
    if (!g)
        return false;
    if (!g->lockedm) {
        g->lockedm = g->m;
        g->m->lockedg = g;
    }
    if (forever) {
        g->bound = true;
        g->m->tainted = true; /* for good: it makes no M (may_make_m_here) */
        if (g->fork_locked) { /* the lock since fork is this one now */
            g->fork_locked = false;
            g->lock_count--;
        }
    }
    else
        g->lock_count++;
    return true;
}

void mn_unlock_thread(bool forever)
{
    mn_g *g = mn_tls_g;
    if (!g || !g->lockedm)
        return;
    if (forever)
        g->bound = false;
    else if (g->lock_count > 0)
        g->lock_count--;
    if (g->lock_count == 0 && !g->bound) {
        g->m->lockedg = NULL;
        g->lockedm = NULL;
    }
}

void mn_lock_thread_for_fork(void)
{
    mn_g *g = mn_tls_g;
    if (g && !g->fork_locked && mn_lock_thread(false))
        g->fork_locked = true;
}

bool mn_thread_bound(void)
{
    mn_g *g = mn_tls_g;
    return g && g->bound;
}

/* Makes g (created by g.c) runnable for the first time. Creating a thread
 * is a scheduling point: the creating G yields when its time slice is over
 * or when its P's ring is full of Gs waiting to run (half full cost
 * create_join 2.7x: yields too often while another P steals), so that a loop
 * that creates threads runs them (and reuses their stacks) instead of
 * piling them up, and does not keep its P from the Gs it made. */
void mn_sched_start_g(mn_g *g)
{
    atomic_store(&g->status, MN_G_RUNNABLE);
    make_runnable(g, true, true);
    mn_monitor_ensure();
    mn_g *self = mn_tls_g;
    if (!self)
        return;
    mn_p *p = self->m->p;
    if (atomic_load_explicit(&self->preempt, memory_order_relaxed))
        mn_yield_preempted();
    else if (p && mn_runq_len(&p->runq) >= MN_RUNQ_SIZE)
        mn_yield();
}

void mn_sched_exit_g(mn_g *g)
{
    mn_switch_out(g, MN_ACT_EXIT);
    mn_fatal("a finished G was resumed");
}

/* ---- Ps ---- */

mn_p *mn_p_new(int id)
{
    mn_p *p = aligned_alloc(64, sizeof *p);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->id = id;
    mn_timers_init(&p->timers);
    atomic_store(&p->status, mn_pword(NULL, MN_P_IDLE));
    return p;
}

/* ---- boot, and again in the child of fork ---- */

/* Made before anything is changed, so that failing changes nothing. */
const char *mn_g0_parts_make(struct mn_g0_parts *g0)
{
    if (mn_stack_map(&g0->stack, G0_STACK_SIZE, mn_page_size()) != 0)
        return "cannot map a stack (mmap refused)";
    if (!(g0->tcb = mn_tcb_create())) {
        mn_stack_unmap(&g0->stack);
        return "out of memory";
    }
    return NULL;
}

void mn_g0_parts_free(struct mn_g0_parts *g0)
{
    mn_tcb_destroy(g0->tcb);
    mn_stack_unmap(&g0->stack);
}

/* Makes the calling thread m, running g with P 0, its g0 on g0's parts;
 * Ps 1 .. procs-1 are idle. The thread's TCB stays g's. */
static void m0_install(mn_m *m, const struct mn_g0_parts *g0, mn_g *g, int procs)
{
    atomic_store(&mn_sched.procs, procs);
    atomic_store(&mn_sched.poll_until, INT64_MAX);
    for (int i = procs - 1; i >= 1; i--)
        mn_pidleput_locked(mn_sched.allp[i]);

    mn_tcb_set_tid(g0->tcb, getpid());
    *(mn_m **)mn_tcb_tls_slot(g0->tcb, &mn_tls_m) = m;
    *(struct mn_held **)mn_tcb_tls_slot(g0->tcb, &mn_tls_held) = &m->locks;
    m->g0sp = mn_ctx_make(g0->stack.lo + g0->stack.size, g0_entry, m);
    m->g0tcb = g0->tcb;
    mn_san_new(&m->g0san);
    m_init_common(m);

    MN_SNAPSHOT_SET(g->m, m);
    MN_SNAPSHOT_SET(m->curg, g);
    mn_tls_g = g; /* before the P is taken: its trace event is m's (exectrace.h) */
    mn_acquirep(m, mn_sched.allp[0]);
    mn_xtrace_m(m, MN_XT_M_START, 0, 0, 0);
    mn_xtrace_start(m, g);
    atomic_store(&m->p->status, mn_pword(m, MN_P_USER));
    atomic_store(&g->status, MN_G_RUNNING);
    mn_tls_owner = g;
    mn_tls_held = &m->locks;
}

/* What mn_sched_prepare made for mn_sched_boot. */
static struct {
    mn_m *m0;
    struct mn_g0_parts g0;
} boot;

const char *mn_sched_prepare(int procs)
{
    mn_san_boot();
    for (int i = 0; i < procs; i++)
        if (!(mn_sched.allp[i] = mn_p_new(i)))
            return "out of memory";
    /* M0 is the main kernel thread. Its g0 needs a stack and a TCB of its
     * own: the main thread's TCB belongs to the main G from now on. */
    const char *why = mn_g0_parts_make(&boot.g0);
    if (why)
        return why;
    if (!(boot.m0 = m_alloc()))
        return "out of memory";
    return NULL;
}

void mn_sched_boot(int procs, mn_g *main_g)
{
    mn_sched.start_ns = mn_nanotime();
    mn_sched.nallp = procs;
    m0_install(boot.m0, &boot.g0, main_g, procs);
}

/* The forking M's locks (docs/lock-order.md): held across fork, so that
 * the child finds the lists they guard whole. */
void mn_sched_fork_lock(void)
{
    mn_lock_acquire(&mn_sched.mcreate_lock);
    mn_lock_acquire(&mn_sched.allg_lock);
    mn_lock_acquire(&mn_sched.lock);
}

void mn_sched_fork_unlock(void)
{
    mn_lock_release(&mn_sched.lock);
    mn_lock_release(&mn_sched.allg_lock);
    mn_lock_release(&mn_sched.mcreate_lock);
}

bool mn_sched_hold_ms(void)
{
    if (mn_tcb_glibc_malloc())
        return false;
    atomic_fetch_add(&mn_sched.ms_held, 1);
    mn_lock_acquire(&mn_sched.mcreate_lock); /* newm sees the hold from now on */
    mn_lock_release(&mn_sched.mcreate_lock);
    return true;
}

void mn_sched_release_ms(void)
{
    if (atomic_fetch_sub(&mn_sched.ms_held, 1) == 1 && atomic_exchange(&mn_sched.ms_refused, false))
        mn_wakep(); /* for the Ps left idle with work meanwhile */
}

/* A P as it is after boot: no Gs, no timers, no M. */
static void p_forget(mn_p *p)
{
    atomic_store(&p->runq.head, 0);
    atomic_store(&p->runq.tail, 0);
    atomic_store(&p->runq.runnext, NULL);
    mn_timers_forget(&p->timers);
    MN_SNAPSHOT_SET(p->m, NULL);
    p->link = NULL;
    MN_SNAPSHOT_SET(p->schedtick, 0);
    p->new_m_spinning = false;
    atomic_store(&p->preempt, false);
    atomic_store(&p->status, mn_pword(NULL, MN_P_DEAD));
}

void mn_sched_fork_child(mn_g *self, const struct mn_g0_parts *g0)
{
    mn_m *m = self->m;
    void *registered[2] = {m->g0tcb, mn_g_main()->tcb};
    mn_tcb_rseq_move(registered, 2, g0->tcb);

    /* the other Ms' kernel threads did not come along: their structures
     * wait in the free list for the child's own Ms */
    for (mn_m *o = mn_sched.allm, *next; o; o = next) {
        next = o->allnext;
        if (o != m) {
            mn_altstack_forget(o);
            o->link = mn_sched.mfree;
            mn_sched.mfree = o;
        }
    }
    mn_sched.allm = m;
    mn_sched.mcount = 1;
    if (atomic_load(&mn_sched.ms_held)) /* only this fork's hold came along */
        atomic_store(&mn_sched.ms_held, 1);
    atomic_store(&mn_sched.ms_refused, false);
    mn_sched.midle = NULL;
    mn_sched.nmidle = 0;
    mn_sched.retired_switches = mn_sched.retired_parks = 0;
    mn_sched.runq_head = mn_sched.runq_tail = NULL;
    atomic_store(&mn_sched.runqsize, 0);
    mn_sched.pidle = NULL;
    atomic_store(&mn_sched.npidle, 0);
    atomic_store(&mn_sched.nmspinning, 0);
    atomic_store(&mn_sched.poll_owner, 0);
    atomic_store(&mn_sched.netpoll_waiters, 0);
    atomic_store(&mn_sched.lastpoll, 0);
    for (int i = 0; i < mn_sched.nallp; i++)
        p_forget(mn_sched.allp[i]);
    mn_sched.lock = (mn_lock)MN_LOCK_INIT(SCHED);
    mn_sched.mcreate_lock = (mn_lock)MN_LOCK_INIT(MCREATE);
    mn_sched.allg_lock = (mn_lock)MN_LOCK_INIT(ALLG);

    /* the forking M, on the same kernel thread, with a g0 of its own: the
     * one it had lives on a stack glibc counts free in the child */
    mn_g *locked = m->lockedg == self && (self->bound || self->lock_count > 0) ? self : NULL;
    mn_m kept = *m;
    memset(m, 0, sizeof *m);
    m->id = kept.id;
    m->lockedg = locked;
    m->altstack = kept.altstack; /* the kernel thread's, which came along */
    m->altstack_size = kept.altstack_size;
    m0_install(m, g0, self, atomic_load(&mn_sched.procs));
}
