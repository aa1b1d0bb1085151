/* sysmon, the monitor thread: see sysmon.h. Its per-P bookkeeping (last
 * seen ticks, times, CPU clock readings) belongs to this thread alone. */
#include "core/sysmon.h"

#include "compat/log.h"
#include "compat/real.h"
#include "core/config.h"
#include "core/dump.h"
#include "core/exectrace.h"
#include "core/futex.h"
#include "core/gcache.h"
#include "core/kthread.h"
#include "core/preempt.h"
#include "core/sched_internal.h"
#include "core/signals.h"
#include "core/stats.h"
#include "core/watch.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TICK_MIN_NS (20 * 1000)
#define TICK_MAX_NS (10 * 1000 * 1000)
#define PREEMPT_NS (10 * 1000 * 1000)
/* The slice of a G while other Gs wait for its P (in its queue or the
 * global one): about the kernel's, not Go's 10 ms (hog_latency, a redis
 * whose I/O threads spin). Also for a G that makes system calls: a
 * thread-per-connection server's threads yield between requests anyway
 * (turns at input, sched.c), and a longer slice for them let redis's
 * spinning I/O threads keep their Ps for up to 10-20 ms while the thread
 * they spun for waited (docs/design.md §13). */
#define SLICE_SHARED_NS (2 * 1000 * 1000)
#define HOG_WARN_NS (1000 * 1000 * 1000)
#define BUSY_LOOK_NS (1000 * 1000) /* the next look while Gs wait behind a running one */
/* A G the preemption signal found where it cannot be stopped (in libc,
 * libmnrt, a handler) gets it again this much later, SIGNAL_TRIES times
 * in all; with the last it may yield at releases too, and the look after
 * it (BUSY_LOOK_NS later) hands its P's queue out (not_yielded) */
#define SIGNAL_RETRY_NS (50 * 1000)
#define SIGNAL_TRIES 4
#define SYSCALL_FORCE_NS (10 * 1000 * 1000)
#define CGROUP_PERIOD_NS (1000 * 1000 * 1000)
#define IDLE_SLEEP_NS CGROUP_PERIOD_NS
#define TRIM_PERIOD_NS (500 * 1000 * 1000)
#define POLL_FORGOTTEN_NS (10 * 1000 * 1000)
#define TIMER_LATE_NS (1000 * 1000)

static atomic_bool started, running;
static __thread bool is_monitor;
static mn_lock new_m_lock = MN_LOCK_INIT(NEW_M);
static mn_p *new_m_ps;                  /* Ps waiting for a new M, linked by link */
static _Atomic uint32_t monitor_word;   /* futex when there is no poller yet */
static atomic_bool long_sleep;          /* sleeping with every P idle */
/* When sysmon's sleep ends; INT64_MIN while it is awake (it reads the
 * timers before it sleeps again: sleep_until_look) */
static _Atomic int64_t sleeps_until = INT64_MIN;

struct pmon {
    uint32_t schedtick;
    int64_t schedwhen;
    uint32_t syscalltick;
    int64_t syscallwhen;
    int64_t cpu_ns;        /* the owner M's CPU clock at the last look, -1: none */
    int64_t cpu_at_tick;   /* the same when schedtick was first seen */
    bool asked;            /* its G was asked to yield at an earlier look */
    bool stopped;          /* and its M had not run since the one before */
    int signals;           /* preemption signals sent to it since */
    bool converting;       /* its G was asked to park instead of this wait: */
    long converting_nr;    /* the call */
    unsigned long converting_arg; /* and its first argument (word, fd) */
    const mn_m *m;
};

static struct pmon pmon[MN_MAX_PROCS];

bool mn_sysmon_running(void)
{
    return atomic_load(&running);
}

bool mn_monitor_thread(void)
{
    return is_monitor;
}

/* In a fork's child until its handlers have run, the monitor's start and
 * the Ms asked of it are put off (making a thread allocates through the
 * program's malloc, whose lock a prepare handler may hold until the
 * allocator's child handler); the monitor starts after them if the
 * parent's ran or a start was asked, and makes those Ms then. */
static bool child_handlers_pending, start_in_child;

bool mn_monitor_start_m(mn_p *p, bool spinning)
{
    if (child_handlers_pending) /* the child's only thread runs this */
        start_in_child = true;  /* and the monitor will make the M */
    else if (!atomic_load(&running))
        return false;
    mn_lock_acquire(&new_m_lock);
    p->new_m_spinning = spinning;
    p->link = new_m_ps;
    new_m_ps = p;
    mn_lock_release(&new_m_lock);
    mn_monitor_poke();
    return true;
}

static void start_new_ms(void)
{
    mn_lock_acquire(&new_m_lock);
    mn_p *p = new_m_ps;
    new_m_ps = NULL;
    mn_lock_release(&new_m_lock);
    while (p) {
        mn_p *next = p->link;
        mn_startm_new(p, p->new_m_spinning);
        p = next;
    }
}

void mn_monitor_poke(void)
{
    atomic_fetch_add(&monitor_word, 1);
    mn_futex_wake(&monitor_word, 1, false);
}

void mn_monitor_notice_timer(int64_t when)
{
    int64_t until = atomic_load(&sleeps_until);
    if (when < until && atomic_compare_exchange_strong(&sleeps_until, &until, INT64_MIN))
        mn_monitor_poke();
}

void mn_monitor_notice_busy(void)
{
    if (atomic_load_explicit(&long_sleep, memory_order_relaxed) &&
        atomic_exchange(&long_sleep, false))
        mn_monitor_poke();
}

/* Sleeps for timeout ns from now, or until the earliest timer while no M
 * polls (the P that holds it runs a G: at that look its slice may end,
 * look_user), but not less than BUSY_LOOK_NS for a timer: its G waits
 * for that slice anyway, and many sleepers at busy Ps would otherwise
 * wake sysmon at every one. Timers already due were seen by this look.
 * The wait's word is read first; then the deadline is published and the
 * timers read, each behind a full fence, so a timer added meanwhile is
 * either read here or pokes (mn_monitor_notice_timer), changing the word
 * the wait then finds changed. Not without preemption by signal: a G
 * asked then yields at its next release (runtime.h), and more asks there
 * brought back the GIL starvation of python_gil_sleeper under
 * MNRT_DEBUG=asyncpreempt=0 (5 of 7 runs; a review). */
static void sleep_until_look(int64_t now, int64_t timeout)
{
    uint32_t w = atomic_load(&monitor_word);
    if (mn_sig_forward_due() || mn_dump_pending()) /* posted before w was read */
        return;
    atomic_store(&sleeps_until, mn_preempt_on() ? now + timeout : INT64_MIN);
    atomic_thread_fence(memory_order_seq_cst);
    if (mn_preempt_on() && !atomic_load(&mn_sched.poll_owner)) {
        int64_t due = mn_earliest_timer();
        if (due > now && due - now < BUSY_LOOK_NS)
            due = now + BUSY_LOOK_NS;
        if (due > now && due - now < timeout)
            timeout = due - now;
    }
    /* a word watched since w was read has poked: the wait ends at once */
    if (mn_watch_active() && (timeout < 0 || timeout > MN_WATCH_NS))
        timeout = MN_WATCH_NS;
    mn_futex_wait(&monitor_word, w, timeout < 0 ? -1 : mn_nanotime() + timeout, false);
    atomic_store(&sleeps_until, INT64_MIN);
}

/* Collects ready I/O nobody collected for 10 ms (all Ms busy). */
static void poll_if_forgotten(int64_t now)
{
    bool (*poll_now)(void) = atomic_load(&mn_hooks.poll_now);
    if (poll_now && atomic_load(&mn_sched.netpoll_waiters) > 0 &&
        now - atomic_load(&mn_sched.lastpoll) > POLL_FORGOTTEN_NS) {
        int64_t since = mn_xtrace_now();
        mn_xtrace_netpoll(since, poll_now() ? -1 : 0);
        atomic_store(&mn_sched.lastpoll, now);
    }
}

/* Ps taken (sysmon's alone to write) */
static _Atomic int64_t took_in_syscall, took_unseen;

int64_t mn_sysmon_handoffs(void)
{
    return atomic_load_explicit(&took_in_syscall, memory_order_relaxed) +
           mn_syscall_entry_handoffs();
}

int64_t mn_sysmon_unseen_blocks(void)
{
    return atomic_load_explicit(&took_unseen, memory_order_relaxed);
}

static bool take(mn_p *p, uint64_t word, _Atomic int64_t *count)
{
    if (!atomic_compare_exchange_strong(&p->status, &word, mn_pword(NULL, MN_P_IDLE)))
        return false;
    atomic_store_explicit(count, atomic_load_explicit(count, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    mn_xtrace_handoff(p, word, count == &took_unseen);
    mn_handoffp(p);
    return true;
}

/* Whether Gs wait for p to run them: in its queue, in the global queue,
 * or a timer of p's is due (the only M may be the one that holds p). */
static bool others_wait(mn_p *p, int64_t now)
{
    return !mn_runq_empty(&p->runq) || atomic_load(&mn_sched.runqsize) ||
           mn_timers_next(&p->timers) <= now;
}

/* The G that m runs on p is asked to yield, at this look or an earlier
 * one, and its M has run since the last: if other Gs wait, preempt it by
 * signal at once, as Go's sysmon does (preempt.h), and again at the next
 * looks, SIGNAL_RETRY_NS apart. A G at mnrt's releases yields only once
 * no signal can be sent or the last of SIGNAL_TRIES was sent (runtime.h,
 * mn_check_preempt_at_release). One still not yielding at the look after
 * that runs where it cannot be preempted (a signal handler, libc): its
 * queue goes where the other Ps find it, and their Gs yield to it in
 * turn. A G alone is left to run. Say so once
 * when a G ran a whole second of CPU time that way: preemption is off,
 * or the G never stopped where it is safe (always in libc, or holding a
 * lock). */
static void not_yielded(mn_p *p, struct pmon *pm, mn_m *m, mn_g *g, int64_t cpu, int64_t now)
{
    if (!others_wait(p, now))
        return;
    if (pm->signals >= SIGNAL_TRIES && !mn_runq_empty(&p->runq))
        mn_runq_hand_out(p);
    bool sent = mn_preempt_signal(m);
    if (sent) {
        mn_xtrace_preempt(p, m, g);
        pm->signals++;
    }
    if (!sent || pm->signals >= SIGNAL_TRIES)
        atomic_fetch_or_explicit(&g->preempt, MN_PREEMPT_AT_RELEASE, memory_order_relaxed);
    if (cpu - pm->cpu_at_tick > HOG_WARN_NS)
        mn_warn_once("thread %lld ran for a second without a scheduling point, keeping other "
                     "threads from running%s",
                     (long long)g->id,
                     mn_preempt_on() ? " (it was never where it can be preempted)"
                                     : ": preemption by signal is off (MNRT_DEBUG=asyncpreempt=0)");
}

/* m's G sleeps where mnrt did not see it go. If that is a wait the
 * kernel restarts after a handler (inline_wait.h: glibc's internal locks,
 * stdio's I/O on pipes and sockets), asks m to park the G there instead
 * (preempt.h); once per wait: if the G still sleeps in the same call at
 * the next look, without having run in between, its P is taken as for
 * any other such wait. Returns whether it asked. */
static bool ask_to_park(mn_m *m, struct pmon *pm)
{
    struct mn_kthread_call call;
    struct mn_inline_wait w;
    if (!mn_preempt_on() || !mn_kthread_syscall(m->tid, &call) ||
        (pm->converting && pm->converting_nr == call.nr &&
         pm->converting_arg == call.args[0]) ||
        !mn_inline_wait_classify(&call, &w))
        return false;
    pm->converting = true;
    pm->converting_nr = call.nr;
    pm->converting_arg = call.args[0];
    return mn_preempt_convert(m, &w);
}

/* When sysmon must look at p again, whose G runs program code, for its
 * slice: soon after asking it to yield while others wait for p (to
 * preempt it if it does not); else when a slice of SLICE_SHARED_NS could
 * end while others wait, or will once p's next timer is due (the G that
 * timer readies waits for p). */
static int64_t next_look_user(mn_p *p, const struct pmon *pm, int64_t now)
{
    if (pm->asked && !(mn_preempt_on() && others_wait(p, now)))
        return INT64_MAX;
    /* an M off its CPU (a machine with more threads than CPUs) is not
     * signalled: its next look is no sooner than the old rate (sysmon
     * looked every 50 us meanwhile, a fifth of a CPU) */
    if (pm->asked)
        return now + (pm->signals < SIGNAL_TRIES && !pm->stopped ? SIGNAL_RETRY_NS : BUSY_LOOK_NS);
    int64_t at = others_wait(p, now) ? now : mn_timers_next(&p->timers);
    int64_t slice_end = pm->schedwhen + SLICE_SHARED_NS;
    return at > slice_end ? at : slice_end;
}

static void lower_to(int64_t *t, int64_t at)
{
    if (at < *t)
        *t = at;
}

/* The M that holds p in state st, if word (p's status at this look)
 * still says so; else NULL. */
static mn_m *holder(mn_p *p, uint64_t word, enum mn_pstatus st)
{
    mn_m *m = MN_SNAPSHOT_GET(p->m);
    return m && mn_pword(m, st) == word ? m : NULL;
}

/* Notes p's scheduling tick and its M (m) at a look: if either changed
 * since the last, a slice began (returns true). */
static bool slice_began(mn_p *p, struct pmon *pm, mn_m *m, int64_t now)
{
    uint32_t tick = MN_SNAPSHOT_GET(p->schedtick);
    if (tick == pm->schedtick && m == pm->m)
        return false;
    pm->schedtick = tick;
    pm->schedwhen = now;
    pm->m = m;
    pm->cpu_ns = mn_kthread_cpu_ns(m->cpuclock);
    pm->cpu_at_tick = pm->cpu_ns;
    pm->asked = false;
    pm->signals = 0;
    pm->converting = false;
    return true;
}

/* Whether p's slice is over (PREEMPT_NS, or SLICE_SHARED_NS while others
 * wait); if so, asks p and its G g to yield: the slice ends at the P's
 * next scheduling decision (sched.c schedule), also when the G that
 * holds it now never checks, and g yields at its next check (runtime.h
 * mn_check_preempt). */
static bool ask_if_over(mn_p *p, const struct pmon *pm, mn_g *g, int64_t now)
{
    if (now - pm->schedwhen <= (others_wait(p, now) ? SLICE_SHARED_NS : PREEMPT_NS))
        return false;
    atomic_store_explicit(&p->preempt, true, memory_order_relaxed);
    if (g)
        atomic_fetch_or_explicit(&g->preempt, MN_PREEMPT_ASKED, memory_order_relaxed);
    return true;
}

/* One look at a P whose M runs program code. Returns whether it took the
 * P or asked its G to park instead of a wait; lowers *next_look to when
 * this P needs the next. */
static bool look_user(mn_p *p, struct pmon *pm, uint64_t word, int64_t now, int64_t *next_look)
{
    mn_m *m = holder(p, word, MN_P_USER);
    if (!m)
        return false;
    mn_g *g = MN_SNAPSHOT_GET(m->curg);
    if (slice_began(p, pm, m, now)) {
        lower_to(next_look, next_look_user(p, pm, now));
        return false;
    }
    bool over = ask_if_over(p, pm, g, now);
    int64_t cpu = mn_kthread_cpu_ns(m->cpuclock);
    bool stopped = cpu >= 0 && cpu == pm->cpu_ns;
    pm->cpu_ns = cpu;
    if (!stopped) /* it ran since: a wait it sleeps in later is a new one */
        pm->converting = false;
    if (g && !stopped && over)
        not_yielded(p, pm, m, g, cpu, now);
    pm->asked = over;
    pm->stopped = stopped;
    lower_to(next_look, next_look_user(p, pm, now));
    /* Same G, no CPU time since the last look, asleep in the kernel: it
     * blocked where mnrt cannot see. Only worth it if others could run. */
    if (stopped && (!mn_runq_empty(&p->runq) || atomic_load(&mn_sched.runqsize) ||
                    atomic_load(&mn_sched.npidle) == 0) &&
        mn_kthread_sleeps(m->tid))
        return ask_to_park(m, pm) || take(p, word, &took_unseen);
    return false;
}

/* One look at a P whose M is in a system call. The slice of a G that
 * lives in short calls (a call begun since the last look) goes on there:
 * once over, the G is asked to yield, which it does as the call returns
 * (one making 64 KiB preads of a cached file was found in a call at
 * nearly every look and never asked: a 1 ms sleeper beside it at one P
 * woke 18-33 ms late; a review). Not a G in one long call: the time it
 * sleeps there is no slice, and its P goes to another M instead if
 * others wait (asked, it kept the ask past the call and yielded at its
 * next one; a second review). While others wait for the P, the next look
 * comes BUSY_LOOK_NS later (to take the P if the call goes on, else for
 * the slice), not at sysmon's tick, which grows to 10 ms: a G that
 * computes between short system calls was found in one at every tenth
 * look or so, and the thread its P's timer woke then waited 10 ms
 * (hog_latency_syscalls' p99 at one P: 10.4 ms with a p50 of 1.1). */
static bool look_syscall(mn_p *p, struct pmon *pm, uint64_t word, int64_t now,
                         int64_t *next_look)
{
    if (others_wait(p, now))
        lower_to(next_look, now + BUSY_LOOK_NS);
    uint32_t tick = atomic_load(&p->syscalltick);
    if (tick != pm->syscalltick) {
        pm->syscalltick = tick;
        pm->syscallwhen = now;
        mn_m *m = holder(p, word, MN_P_SYSCALL);
        if (m) {
            mn_g *g = MN_SNAPSHOT_GET(m->curg); /* before the tick, as look_user */
            if (!slice_began(p, pm, m, now))
                ask_if_over(p, pm, g, now);
        }
        return false;
    }
    if (mn_runq_empty(&p->runq) && atomic_load(&mn_sched.runqsize) == 0 &&
        atomic_load(&mn_sched.nmspinning) + atomic_load(&mn_sched.npidle) > 0 &&
        now - pm->syscallwhen < SYSCALL_FORCE_NS)
        return false;
    return take(p, word, &took_in_syscall);
}

/* Takes the Ps of blocked Ms and asks or preempts long-running Gs;
 * *next_look: when the next look is due for the slices of running Gs
 * (INT64_MAX: none). Returns the number of Ps taken or whose G was asked
 * to park (sysmon then looks again soon: more such waits tend to follow). */
static int retake(int64_t now, int64_t *next_look)
{
    int taken = 0, procs = atomic_load(&mn_sched.procs);
    for (int i = 0; i < procs; i++) {
        mn_p *p = mn_sched.allp[i];
        uint64_t word = atomic_load(&p->status);
        switch ((enum mn_pstatus)(uint32_t)word) {
        case MN_P_USER:
            taken += look_user(p, &pmon[i], word, now, next_look);
            break;
        case MN_P_SYSCALL:
            taken += look_syscall(p, &pmon[i], word, now, next_look);
            break;
        case MN_P_RUNNING: /* its M is between two Gs: the slice goes on */
            break;
        default:
            pmon[i].m = NULL;
            break;
        }
    }
    return taken;
}

static bool all_idle(void)
{
    return atomic_load(&mn_sched.npidle) == atomic_load(&mn_sched.procs);
}

static void *monitor_main(void *arg)
{
    (void)arg;
    is_monitor = true;
    prctl(PR_SET_TIMERSLACK, 1); /* a 20 us sleep must not take 100 us */
    mn_sig_forward();            /* takes the signals some G takes */
    mn_procs_size();             /* if the first thread has not yet */
    int64_t tick = TICK_MIN_NS;
    int quiet = 0;
    int64_t now = mn_nanotime();
    int64_t next_cgroup = now + CGROUP_PERIOD_NS, next_trim = now + TRIM_PERIOD_NS;
    int64_t trace_period = mn_config.schedtrace_ms * 1000000;
    int64_t next_trace = trace_period ? now + trace_period : INT64_MAX;
    int64_t next_look = INT64_MAX;
    for (;;) {
        int64_t timeout = tick;
        if (next_look - now < timeout)
            timeout = next_look - now > TICK_MIN_NS ? next_look - now : TICK_MIN_NS;
        if (all_idle()) {
            atomic_store(&long_sleep, true);
            if (all_idle()) /* a P turned busy meanwhile: it saw long_sleep */
                timeout = mn_gcache_holds_more() ? TRIM_PERIOD_NS : IDLE_SLEEP_NS;
        }
        if (next_trace - now < timeout)
            timeout = next_trace - now > 0 ? next_trace - now : 0;
        sleep_until_look(now, timeout);
        atomic_store(&long_sleep, false);
        mn_sig_forward();
        mn_dump_serve(); /* thread dumps asked for by signal (dump.h) */
        start_new_ms();
        now = mn_nanotime();
        poll_if_forgotten(now);
        mn_kick_overdue_timers(now - TIMER_LATE_NS);
        mn_watch_poll();
        next_look = INT64_MAX;
        mn_stats_sample(now); /* while somebody looks (stats.h) */
        if (retake(now, &next_look)) {
            tick = TICK_MIN_NS;
            quiet = 0;
        } else if (++quiet > 50 && tick < TICK_MAX_NS) {
            tick *= 2;
        }
        if (now >= next_trim) { /* finished Gs' memory (gcache.h) */
            next_trim = now + TRIM_PERIOD_NS;
            mn_g_trim();
        }
        if (now >= next_cgroup) {
            next_cgroup = now + CGROUP_PERIOD_NS;
            if (!mn_config.procs_fixed &&
                atomic_load_explicit(&mn_sched.procs_sized, memory_order_acquire)) {
                int want = mn_procs_auto();
                if (want != atomic_load(&mn_sched.procs))
                    mn_procresize(want);
            }
        }
        if (now >= next_trace) {
            mn_schedtrace(mn_config.scheddetail);
            next_trace += trace_period;
        }
    }
    return NULL;
}


void mn_monitor_fork_child(void)
{
    bool was = atomic_load(&running);
    atomic_store(&started, false);
    atomic_store(&running, false);
    new_m_lock = (mn_lock)MN_LOCK_INIT(NEW_M);
    new_m_ps = NULL;
    atomic_store(&long_sleep, false);
    memset(pmon, 0, sizeof pmon);
    atomic_store(&took_in_syscall, 0);
    atomic_store(&took_unseen, 0);
    start_in_child = was;
    child_handlers_pending = true;
}

void mn_monitor_fork_child_start(void)
{
    child_handlers_pending = false;
    if (start_in_child)
        mn_monitor_ensure();
    start_in_child = false;
}

void mn_monitor_ensure(void)
{
    if (child_handlers_pending) { /* the child's only thread runs this */
        start_in_child = true;
        return;
    }
    if (atomic_load_explicit(&started, memory_order_relaxed) || atomic_exchange(&started, true))
        return;
    pthread_t t;
    atomic_store(&running, true);
    uint64_t mask = mn_sig_block_for_start();
    int err = mn_real.pthread_create(&t, NULL, monitor_main, NULL);
    mn_sig_unblock_after_start(mask);
    if (err != 0) {
        atomic_store(&running, false);
        mn_warn("cannot start the monitor thread: blocked threads keep their P");
        start_new_ms(); /* what was asked of it meanwhile, here */
    }
}
