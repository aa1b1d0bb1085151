/* The park/ready protocol (core/waiter.h, docs/design.md §6) and the
 * direct switch, each as one scripted interleaving, with the scheduler
 * booted inside the test process on one P (no preload). A G parks on a
 * waiter; the script, on a plain kernel thread of its own (it must not
 * need the P), stops the parking G's M at the test points of
 * core/testpoint.h and wakes the waiter there, as a waker on another
 * kernel thread would. The test's own thread (the main G) waits for the
 * script by parking, and checks what the script saw.
 *
 * The rules: a G is published to its wakers (its waiter PARKED) only once
 * it is off its stack; a wake that comes before the commit calls the park
 * off, and the G runs on, on g0's path and on the direct switch's, where
 * the G switched to makes the commit in g0's place; a wake after the
 * commit readies a G that is already WAITING. And the idle M that sleeps
 * until the next timer (on two Ps): a timer started while it reads the
 * timer heaps breaks that sleep. */
#include "script.h"

#include "compat/fsbase.h"
#include "compat/real.h"
#include "compat/tcb.h"
#include "core/config.h"
#include "core/futex.h"
#include "core/runtime.h"
#include "core/sched_internal.h"
#include "core/signals.h"
#include "core/waiter.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Built with the library's flags, so instrumented under ASan: the final
 * switch of mn_g_exit gets no __asan_handle_no_return (core/sanitizer.h). */
MN_SAN_NO_STACK_CLEANUP static void g_main(mn_g *g)
{
    mn_g_exit(g->start(g->arg));
}

static void boot_procs(int procs)
{
    mn_fsbase_init();
    cr_assert_null(mn_tcb_boot());
    int err;
    cr_assert_null(mn_tcb_threads_begin(mn_real.pthread_create, mn_real.pthread_join,
                                        mn_thread_pointer(), &err));
    cr_assert_eq(err, 0);
    mn_hooks.g_main = g_main;
    mn_config.procs = procs; /* the test's, not sized by sysmon (mn_procs_size) */
    mn_config.procs_fixed = true;
    cr_assert_null(mn_sched_prepare(procs));
    mn_sched_boot(procs, mn_g_boot_main());
}

static void boot(void)
{
    boot_procs(1);
}

static void boot2(void)
{
    boot_procs(2);
}

/* Signals on, with sa the program's action for SIGUSR1. */
static void handle_usr1(const struct sigaction *sa)
{
    mn_sig_boot();
    cr_assert_eq(mn_sig_action(SIGUSR1, sa, NULL), 0);
}

/* A G, made but not yet runnable (so a script can name it first). */
static mn_g *make_g(void *(*fn)(void *), void *arg)
{
    struct mn_g_spec spec = {.stack_size = 64 * 1024, .guard_size = 4096, .detached = true,
                             .start = fn, .arg = arg};
    mn_g *g;
    cr_assert_eq(mn_g_new(&spec, &g), 0);
    return g;
}

/* Runs script(arg) on a kernel thread of its own; the calling G parks
 * until it is over. */
struct script_thread {
    void (*script)(void *);
    void *arg;
    struct mn_waiter over;
};

static void *script_main(void *arg)
{
    struct script_thread *s = arg;
    s->script(s->arg);
    mn_waiter_wake(&s->over);
    return NULL;
}

static void run_script(void (*script)(void *), void *arg)
{
    struct script_thread s = {.script = script, .arg = arg};
    mn_waiter_init(&s.over, "test script");
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, script_main, &s), 0);
    cr_assert_eq(mn_waiter_block(&s.over, -1), 0);
    pthread_join(t, NULL);
}

/* ---- the parking G ---- */

struct parker {
    mn_g *g;
    struct mn_waiter w;
    int result;
    _Atomic bool returned;
    /* the direct switch: the G it makes before it parks, which runs next
     * on the P, and what that one saw first */
    mn_g *next;
    _Atomic bool next_done;
    bool queued_after_switch;    /* the parker was in the P's queue */
};

static void *park_main(void *arg)
{
    struct parker *p = arg;
    mn_waiter_init(&p->w, "test park");
    p->result = mn_waiter_block(&p->w, -1);
    atomic_store(&p->returned, true);
    script_note();
    return NULL;
}

static bool in_runq(struct mn_runq *q, mn_g *g)
{
    if (atomic_load(&q->runnext) == g)
        return true;
    for (uint32_t i = atomic_load(&q->head); i != atomic_load(&q->tail); i++)
        if (atomic_load(&q->ring[i % MN_RUNQ_SIZE]) == g)
            return true;
    return false;
}

/* Runs right after the parker left its stack, on the same P. */
static void *next_main(void *arg)
{
    struct parker *p = arg;
    p->queued_after_switch = in_runq(&mn_sched.allp[0]->runq, p->g);
    atomic_store(&p->next_done, true);
    script_note();
    return NULL;
}

/* Makes the G to switch to, then parks. */
static void *make_next_then_park(void *arg)
{
    struct parker *p = arg;
    p->next = make_g(next_main, p);
    mn_g_run(p->next); /* runnext of this P: the park switches straight to it */
    return park_main(p);
}

/* ---- commit against a concurrent wake, on g0's path ---- */

struct commit_script {
    struct parker *p;
    struct script_stop *commit, *committed;
    uint32_t state_at_commit, status_at_commit;
    bool lost;
};

/* The wake comes after the G was marked WAITING and before its commit. */
static void wake_before_commit(void *arg)
{
    struct commit_script *s = arg;
    script_wait(s->commit);
    s->state_at_commit = atomic_load(&s->p->w.state);
    s->status_at_commit = atomic_load(&s->p->g->status);
    mn_waiter_wake(&s->p->w); /* QUEUED: the G is not readied, its commit must fail */
    script_go(s->commit);
    SCRIPT_AWAIT(atomic_load(&s->p->returned) || script_stopped(s->committed));
    s->lost = script_stopped(s->committed); /* it parked after all: nobody will wake it */
    script_go(s->committed);
}

/* (Caught with commit_park storing PARKED without checking for WOKEN,
 * and with the commit made on the G's own stack, in mn_park, before it
 * switched away.) */
Test(park_protocol, wake_before_commit)
{
    boot();
    static struct parker p;
    p.g = make_g(park_main, &p);
    struct commit_script s = {.p = &p, .commit = script_stop_at(MN_TP_PARK_COMMIT, p.g),
                              .committed = script_stop_at(MN_TP_PARK_COMMITTED, p.g)};
    mn_g_run(p.g);
    run_script(wake_before_commit, &s);
    cr_assert_eq(s.state_at_commit, MN_WAITER_QUEUED, "published before it left its stack");
    cr_assert_eq(s.status_at_commit, MN_G_WAITING);
    cr_assert(!s.lost, "the park committed after the wake: a lost wake-up");
    cr_assert(atomic_load(&p.returned));
    cr_assert_eq(p.result, 0);
}

/* The wake comes right after the commit published the G. */
static void wake_after_commit(void *arg)
{
    struct commit_script *s = arg;
    script_wait(s->committed);
    s->state_at_commit = atomic_load(&s->p->w.state);
    s->status_at_commit = atomic_load(&s->p->g->status);
    if (s->status_at_commit == MN_G_WAITING) /* else mn_ready would abort the test */
        mn_waiter_wake(&s->p->w);
    script_go(s->committed);
    if (s->status_at_commit == MN_G_WAITING)
        SCRIPT_AWAIT(atomic_load(&s->p->returned));
}

/* (Caught with after_switch marking the G WAITING only after its
 * commit: a waker that saw PARKED would find it still RUNNING.) */
Test(park_protocol, wake_after_commit)
{
    boot();
    static struct parker p;
    p.g = make_g(park_main, &p);
    struct commit_script s = {.p = &p, .committed = script_stop_at(MN_TP_PARK_COMMITTED, p.g)};
    mn_g_run(p.g);
    run_script(wake_after_commit, &s);
    cr_assert_eq(s.state_at_commit, MN_WAITER_PARKED);
    cr_assert_eq(s.status_at_commit, MN_G_WAITING, "published while not marked waiting");
    cr_assert(atomic_load(&p.returned));
    cr_assert_eq(p.result, 0);
}

/* ---- the direct switch ---- */

struct switch_script {
    struct parker *p;
    struct script_stop *direct, *commit;
    bool direct_path;            /* the park switched straight to p->next */
    uint32_t state_at_switch;
};

/* The parker switched straight to the next G, which is about to commit
 * the park in g0's place: the wake comes now. */
static void wake_during_direct_switch(void *arg)
{
    struct switch_script *s = arg;
    SCRIPT_AWAIT(script_stopped(s->direct) || script_stopped(s->commit));
    s->direct_path = script_stopped(s->direct);
    s->state_at_switch = atomic_load(&s->p->w.state);
    mn_waiter_wake(&s->p->w);
    script_go(s->direct); /* lets go of the one stopped, disarms the other */
    script_go(s->commit);
    SCRIPT_AWAIT(atomic_load(&s->p->next_done));
    if (s->direct_path && s->p->queued_after_switch)
        SCRIPT_AWAIT(atomic_load(&s->p->returned));
}

/* The next G must queue the parker again when its commit fails, or the
 * parker, RUNNABLE in no queue, never runs again. (Caught with
 * finish_direct_switch dropping the G whose park was called off, and
 * with the commit made on the G's own stack before it switched.) A park
 * switches directly only when schedule() would take the next G at once
 * (sched.c, only_local_work): not on the P's 61st schedule (the first
 * after boot is one: hence the yield) and not when sysmon found its slice
 * older than 10 ms. So the case is tried until the park did; one that went
 * through g0 is park_protocol's case. */
Test(direct_switch, wake_before_commit)
{
    boot();
    bool seen = false;
    static struct parker ps[20];
    mn_yield(); /* the P's schedule count moves on from 0 */
    for (int attempt = 0; attempt < 20 && !seen; attempt++) {
        struct parker *p = &ps[attempt];
        p->g = make_g(make_next_then_park, p);
        struct switch_script s = {.p = p, .direct = script_stop_at(MN_TP_DIRECT_SWITCH, p->g),
                                  .commit = script_stop_at(MN_TP_PARK_COMMIT, p->g)};
        mn_g_run(p->g);
        run_script(wake_during_direct_switch, &s);
        cr_assert_eq(s.state_at_switch, MN_WAITER_QUEUED, "published before it left its stack");
        if (!s.direct_path)
            continue;
        seen = true;
        cr_assert(p->queued_after_switch, "a G whose park was called off was dropped");
        cr_assert(atomic_load(&p->returned));
        cr_assert_eq(p->result, 0);
    }
    cr_assert(seen, "no park switched directly in 20 attempts");
}

/* ---- an interruptible wait that finds a signal pending ---- */

static _Atomic int handled;
static _Atomic uint32_t sent;

static void count_handled(int sig)
{
    (void)sig;
    atomic_fetch_add(&handled, 1);
}

/* As sysmon forwards a process-directed signal: makes it pending in the
 * main G, which runs, so mnrt also sends it to the G's kernel thread. */
static void *send_usr1(void *g)
{
    siginfo_t si = {.si_signo = SIGUSR1, .si_code = SI_TKILL};
    cr_assert_eq(mn_sig_send(g, SIGUSR1, &si, true), 0);
    atomic_store(&sent, 1);
    mn_futex_wake(&sent, 1, false);
    return NULL;
}

/* A signal that reached the G's kernel thread while the G held one of
 * mnrt's locks stays pending for the G's next entry into mnrt (signals.c).
 * If that entry is an interruptible wait, the wait ends at once with EINTR
 * (no park, so no handler run as the G wakes): the handler must run
 * there, or a caller that waits again (pthread_join, a mutex, which go on
 * after a handler) finds it pending again, and again, for good. The
 * program signal_wakes hung so under MNRT_DEBUG=randomize (its main
 * thread in pthread_join while an interval timer's SIGALRM came every
 * 20 us); this test hung so, but for its bound of three waits. */
Test(park_protocol, pending_signal_runs_its_handler_in_a_wait)
{
    boot();
    handle_usr1(&(struct sigaction){.sa_handler = count_handled, .sa_flags = SA_RESTART});

    /* any lock of mnrt's: the signal lands while the G holds it */
    mn_lock *lock = &mn_sched.allp[0]->timers.lock;
    mn_lock_acquire(lock);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, send_usr1, mn_getg()), 0);
    while (!atomic_load(&sent)) /* the signal was queued to this kernel thread first */
        mn_futex_wait(&sent, 0, -1, false);
    mn_lock_release(lock);
    pthread_join(t, NULL);
    cr_assert_eq(atomic_load(&handled), 0, "ran while the G held a lock of mnrt's");

    int r = EINTR, waits = 0;
    for (; r == EINTR && waits < 3; waits++) { /* as pthread_join's loop */
        struct mn_waiter w;
        mn_waiter_init(&w, "test wait");
        w.intr = true;
        w.cancel = mn_waiter_cancel_once;
        r = mn_waiter_block(&w, 1); /* a deadline long over */
    }
    cr_assert_eq(atomic_load(&handled), 1, "the pending signal's handler ran %d times",
                 atomic_load(&handled));
    cr_assert_eq(r, ETIMEDOUT, "the wait still ends with EINTR after %d waits", waits);
}

/* ---- one pending signal sent to the G, one the process's ---- */

static _Atomic int ncodes;
static int codes[4];

static void note_code(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    int n = atomic_fetch_add(&ncodes, 1);
    if (n < 4)
        codes[n] = info->si_code;
}

/* Linux keeps a standard signal pending for a thread and for its process
 * apart: with one of each pending, unblocking runs the handler twice, the
 * thread's first, and a second of either kind is dropped. mnrt's routing
 * makes the process's pending in the G that takes it, where it overwrote
 * the thread's (one run, the process's info). Both orders of arrival. */
Test(park_protocol, standard_signal_pending_for_thread_and_process)
{
    boot();
    handle_usr1(&(struct sigaction){.sa_sigaction = note_code, .sa_flags = SA_SIGINFO});
    mn_g *g = mn_getg();
    siginfo_t thread = {.si_signo = SIGUSR1, .si_code = SI_TKILL};
    siginfo_t process = {.si_signo = SIGUSR1, .si_code = SI_USER};
    for (int order = 0; order < 2; order++) {
        sigset_t usr1, none;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        sigemptyset(&none);
        cr_assert_eq(pthread_sigmask(SIG_BLOCK, &usr1, NULL), 0);
        atomic_store(&ncodes, 0);
        for (int i = 0; i < 2; i++) { /* each kind twice: the second is dropped */
            cr_assert_eq(mn_sig_send(g, SIGUSR1, order ? &process : &thread, order), 0);
            cr_assert_eq(mn_sig_send(g, SIGUSR1, order ? &thread : &process, !order), 0);
        }
        cr_assert_eq(pthread_sigmask(SIG_SETMASK, &none, NULL), 0);
        cr_assert_eq(atomic_load(&ncodes), 2, "order %d: the handler ran %d times", order,
                     atomic_load(&ncodes));
        cr_assert_eq(codes[0], SI_TKILL, "order %d: the thread's runs first", order);
        cr_assert_eq(codes[1], SI_USER, "order %d", order);
    }
}

/* Whether m holds its P with a G in the program's code: sysmon may take
 * the P of a thread stopped at a test point (in the kernel, where mnrt
 * cannot see it), and a handler then no longer runs on that thread.
 * Read from the Ps' status words: m->p is m's own, written without
 * atomics. */
static bool holds_p_user(mn_m *m)
{
    for (int i = 0; i < atomic_load(&mn_sched.procs); i++)
        if (atomic_load(&mn_sched.allp[i]->status) == mn_pword(m, MN_P_USER))
            return true;
    return false;
}

/* After a SIGUSR1 sent to g's kernel thread: waits until the handler
 * counting in runs has run (true) or the signal is pending in g (false),
 * kept for it by sysmon's routing, which notes nothing to a script. */
static bool await_usr1_run_or_pending(mn_g *g, _Atomic int *runs)
{
    while (!atomic_load(runs) && !(atomic_load(&g->sigpend) & (1ull << (SIGUSR1 - 1))))
        usleep(100);
    return atomic_load(runs) != 0;
}

/* ---- a signal that lands while a G switches away to park ---- */

static _Atomic int handler_runs;
static struct mn_waiter handler_w;

/* A handler that parks (a program's handler may: sem_post yields in it
 * when the G was asked to, a mutex it takes may be held). */
static void park_in_handler(int sig)
{
    (void)sig;
    mn_waiter_init(&handler_w, "test handler");
    mn_waiter_block(&handler_w, mn_nanotime() + 1000 * 1000); /* ends by its deadline */
    atomic_fetch_add(&handler_runs, 1);
    script_note();
}

struct switch_signal_script {
    struct parker *p;
    struct script_stop *sw, *committed;
    bool p_kept;             /* the G's M held its P in USER state throughout */
    bool ran_in_switch;      /* the handler ran on the G stopped in mn_park */
    bool returned_early;     /* the park ended before anyone woke its waiter */
    bool committed_seen;
    uint32_t state_at_commit;
};


/* The parker has handed its commit to its M and is about to switch
 * away; a signal comes for its kernel thread now (tgkill). */
static void signal_in_switch(void *arg)
{
    struct switch_signal_script *s = arg;
    script_wait(s->sw);
    mn_g *g = s->p->g;
    mn_m *m = g->m;
    s->p_kept = holds_p_user(m);
    syscall(SYS_tgkill, getpid(), m->tid, SIGUSR1);
    /* its handler runs there (the fault), or mnrt keeps the signal for
     * the G (pending in it, by sysmon's routing) until it runs again */
    s->ran_in_switch = await_usr1_run_or_pending(g, &handler_runs);
    s->p_kept = s->p_kept && holds_p_user(m); /* else sysmon took it: no handler runs anyway */
    script_go(s->sw);
    SCRIPT_AWAIT(atomic_load(&s->p->returned) || script_stopped(s->committed));
    s->returned_early = atomic_load(&s->p->returned);
    s->committed_seen = script_stopped(s->committed);
    s->state_at_commit = atomic_load(&s->p->w.state);
    bool parked = s->committed_seen && s->state_at_commit == MN_WAITER_PARKED;
    if (parked)
        mn_waiter_wake(&s->p->w);
    script_go(s->committed);
    if (parked)
        SCRIPT_AWAIT(atomic_load(&s->p->returned));
}

/* A program's handler must not run on a G that is switching away to
 * park: the park's commit is handed to its M before the switch, and a
 * handler that parks there (or yields, and the G goes on on another M)
 * left the switch to commit the handler's own waiter, or another M's
 * stale one: the park was called off with no wake-up (the G went on as
 * if woken), or the G was left parked on a waiter nobody wakes. Such
 * handlers are common: signal_wakes' SIGALRM handler yields inside
 * sem_post when sysmon asked its G to. Here the handler parks: it must
 * run once the G runs again after its wake-up. A try counts if the G's
 * M kept its P meanwhile (sysmon may take the P of a thread stopped in
 * the kernel). (Caught with the handler allowed to run there, 10 runs
 * of 10: it ran there, and the G parked with its own waiter still
 * QUEUED, a wake-up lost for good.) */
Test(park_protocol, no_handler_while_switching_to_park)
{
    boot2(); /* a P idle: sysmon leaves the P of the G stopped in the kernel alone */
    handle_usr1(&(struct sigaction){.sa_handler = park_in_handler});
    static struct parker ps[20];
    bool tried = false;
    for (int attempt = 0; attempt < 20 && !tried; attempt++) {
        struct parker *p = &ps[attempt];
        atomic_store(&handler_runs, 0);
        p->g = make_g(park_main, p);
        struct switch_signal_script s = {
            .p = p, .sw = script_stop_at(MN_TP_PARK_SWITCH, p->g),
            .committed = script_stop_at(MN_TP_PARK_COMMITTED, p->g)};
        mn_g_run(p->g);
        run_script(signal_in_switch, &s);
        tried = s.p_kept;
        cr_assert(!s.ran_in_switch, "a program handler ran on a G switching away to park");
        cr_assert(!s.returned_early, "the park ended with no wake-up");
        cr_assert(s.committed_seen);
        cr_assert_eq(s.state_at_commit, MN_WAITER_PARKED, "parked on a waiter not its own");
        cr_assert(atomic_load(&p->returned));
        cr_assert_eq(p->result, 0);
        cr_assert_eq(atomic_load(&handler_runs), 1, "the handler ran %d times",
                     atomic_load(&handler_runs));
    }
    cr_assert(tried, "sysmon took the P in each of 20 tries");
}

/* ---- a handler that waits inside the G's interruptible wait ---- */

static _Atomic int waiting_handler_runs;

/* A handler that makes an interruptible wait of its own (a program's
 * handler may: read on a pipe, nanosleep), ended by its deadline. */
static void wait_in_handler(int sig)
{
    (void)sig;
    struct mn_waiter w;
    mn_waiter_init(&w, "test handler");
    w.intr = true;
    w.cancel = mn_waiter_cancel_once;
    mn_waiter_block(&w, mn_nanotime() + 1000 * 1000);
    atomic_fetch_add(&waiting_handler_runs, 1);
    script_note();
}

static void *intr_park_main(void *arg)
{
    struct parker *p = arg;
    mn_waiter_init(&p->w, "test park"); /* the G's own: on the G */
    p->w.intr = true;
    p->w.cancel = mn_waiter_cancel_once;
    p->result = mn_waiter_block(&p->w, -1);
    atomic_store(&p->returned, true);
    script_note();
    return NULL;
}

struct nested_script {
    struct parker *p;
    struct script_stop *begun;
    bool p_kept;             /* the G's M held its P until the handler ran */
    bool handler_ran;        /* the first signal's handler ran inside the wait */
    bool interrupted;        /* the second signal ended the G's own wait */
};

/* The G has registered its interruptible wait; a signal comes for its
 * kernel thread, whose handler waits too. Once the G parked, a second
 * signal must end its wait with EINTR. */
static void signal_inside_wait(void *arg)
{
    struct nested_script *s = arg;
    script_wait(s->begun);
    mn_g *g = s->p->g;
    mn_m *m = __atomic_load_n(&g->m, __ATOMIC_RELAXED); /* stopped: its M stays */
    s->p_kept = holds_p_user(m);
    syscall(SYS_tgkill, getpid(), m->tid, SIGUSR1);
    s->handler_ran = await_usr1_run_or_pending(g, &waiting_handler_runs);
    if (!s->handler_ran && !(s->p_kept && holds_p_user(m))) {
        /* sysmon took the P: not a try. The pending signal ends the wait. */
        s->p_kept = false;
        script_go(s->begun);
        SCRIPT_AWAIT(atomic_load(&s->p->returned));
        return;
    }
    /* the G's own park, now that the handler's is over */
    struct script_stop *committed = script_stop_at(MN_TP_PARK_COMMITTED, g);
    script_go(s->begun);
    SCRIPT_AWAIT(atomic_load(&s->p->returned) || script_stopped(committed));
    siginfo_t info = {.si_signo = SIGUSR1, .si_code = SI_TKILL};
    cr_assert_eq(mn_sig_send(g, SIGUSR1, &info, false), 0);
    s->interrupted = atomic_load(&s->p->returned) || atomic_load(&s->p->w.state) == MN_WAITER_WOKEN;
    if (!s->interrupted && mn_waiter_cancel_once(&s->p->w)) /* ends the test */
        mn_waiter_wake(&s->p->w);
    script_go(committed);
    SCRIPT_AWAIT(atomic_load(&s->p->returned));
}

/* A handler that ran after the G registered its interruptible wait and
 * waited itself left the G's wait uninterruptible: its end cleared the
 * G's registration, so a daemon parked in pause() or read() went on
 * ignoring the signals it takes (a SIGTERM). The G's wait is registered
 * again when the handler's ends. A try counts if the G's M kept its P
 * until the handler ran (sysmon may take the P of a thread stopped in
 * the kernel: a sanitized build under load did, and the signal was
 * routed to the G instead). */
Test(park_protocol, wait_inside_a_handler_keeps_the_outer_interruptible)
{
    boot2();
    handle_usr1(&(struct sigaction){.sa_handler = wait_in_handler});
    static struct parker ps[20];
    bool tried = false;
    for (int attempt = 0; attempt < 20 && !tried; attempt++) {
        struct parker *p = &ps[attempt];
        atomic_store(&waiting_handler_runs, 0);
        p->g = make_g(intr_park_main, p);
        struct nested_script s = {.p = p,
                                  .begun = script_stop_at(MN_TP_WAIT_INTR_BEGUN, &p->w)};
        mn_g_run(p->g);
        run_script(signal_inside_wait, &s);
        cr_assert_eq(p->result, EINTR);
        if (!s.p_kept)
            continue;
        tried = true;
        cr_assert(s.handler_ran, "the handler did not run inside the G's wait");
        cr_assert(s.interrupted, "the G's wait stayed uninterruptible after the handler's");
    }
    cr_assert(tried, "sysmon took the P in each of 20 tries");
}

/* ---- a P handed on while its new M is being made ---- */

static struct mn_waiter *_Atomic ran_waiter;

/* The queued G: wakes the test's G, which waits for it. */
static void *wake_tester(void *arg)
{
    (void)arg;
    struct mn_waiter *w = atomic_load(&ran_waiter);
    if (mn_waiter_cancel_once(w))
        mn_waiter_wake(w);
    return NULL;
}

/* As sysmon takes a P whose M blocked (sysmon.c take) and hands it on:
 * the P has work, no M is idle, so a new one is made; the maker waits
 * at the test point as it may wait for the program's allocator lock,
 * held by a G in that P's own queue (a jemalloc program hung so under
 * MNRT_DEBUG=randomize=9). */
static void *hand_off(void *p)
{
    mn_handoffp(p);
    return NULL;
}

/* The Gs queued on a P that is nobody's while it is handed on are found
 * by the Ms looking for work. (Thieves skipped every IDLE P: this test's
 * G waited for its whole guard, while the other M spun between stealing
 * and giving its P back, as any_runq_nonempty saw the queued G.) */
Test(park_protocol, queue_of_a_p_being_handed_on_is_stolen)
{
    boot2();
    struct mn_waiter w;
    mn_waiter_init(&w, "test wait");
    w.cancel = mn_waiter_cancel_once;
    atomic_store(&ran_waiter, &w);
    mn_p *p1 = mn_pidleget();
    cr_assert_not_null(p1);
    mn_g *g = make_g(wake_tester, NULL);
    atomic_store(&g->status, MN_G_RUNNABLE);
    mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
    cr_assert_eq(mn_runq_put(&p1->runq, g, false, overflow), 0);

    struct script_stop *making = script_stop_at(MN_TP_STARTM_NEW, p1);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, hand_off, p1), 0);
    script_wait(making); /* (the maker: that thread, or sysmon for it) */
    /* a deadline against a hang only: the queued G wakes this one */
    int r = mn_waiter_block(&w, mn_nanotime() + 60 * 1000000000ll);
    script_go(making);
    pthread_join(t, NULL);
    cr_assert_eq(r, 0, "a G queued on a P being handed on never ran");
}

/* ---- a timer started while the poll owner reads the timer heaps ---- */

static _Atomic bool timer_fired;

static void note_fired(struct mn_timer *t)
{
    (void)t;
    atomic_store(&timer_fired, true);
    script_note();
}

struct poll_script {
    struct script_stop *until;
    struct mn_timer timer;
    int err;
    bool broke;                  /* the timer's start broke the owner's sleep */
};

/* Whether the poll owner's sleep was broken since seq; if not, breaks it
 * (it would sleep for good: the test fails on s->broke instead). */
static void note_broke(struct poll_script *s, uint32_t seq)
{
    s->broke = atomic_load(&mn_sched.poll_seq) != seq;
    if (!s->broke)
        mn_poll_break();
}

/* Runs script while the main G parks and its M, the only one, is the poll
 * owner, stopped first where it has read the heaps (MN_TP_POLL_UNTIL);
 * the script's timer must have fired. */
static void run_poll_script(struct poll_script *s, void (*script)(void *))
{
    boot2();
    s->until = script_stop_at(MN_TP_POLL_UNTIL, mn_current_m());
    run_script(script, s);
    cr_assert_eq(s->err, 0);
    cr_assert(atomic_load(&timer_fired));
}

/* The idle M has read every heap (no timer) and not yet published the
 * deadline it sleeps to: a timer started now, due at once, must break
 * its sleep, as its reading missed the timer. */
static void start_timer_while_owner_reads(void *arg)
{
    struct poll_script *s = arg;
    script_wait(s->until);
    uint32_t seq = atomic_load(&mn_sched.poll_seq);
    s->err = mn_timer_start(&s->timer, mn_nanotime(), note_fired, NULL);
    note_broke(s, seq);
    script_go(s->until);
    SCRIPT_AWAIT(atomic_load(&timer_fired));
}

/* The main G parks: its M, the only one, gives its P back and becomes
 * the poll owner; the script starts a timer from a thread of its own, as
 * a G on another P sleeps while its P runs on (thread_cputime_2p hung
 * so: its main thread in usleep, its timer overdue, the poll owner asleep
 * with no deadline). (Caught with poll_until INT64_MIN while the owner
 * reads the heaps, as it was: the timer broke nothing.) */
Test(park_protocol, timer_started_while_poll_owner_reads_heaps)
{
    static struct poll_script s;
    run_poll_script(&s, start_timer_while_owner_reads);
    cr_assert(s.broke, "a timer started while the poll owner read the heaps did not break its "
                       "sleep: it slept past the timer");
}

/* ---- sysmon's safety net for a timer the poll owner sleeps past ---- */

/* The owner sleeps without a deadline (no timer); a timer lands in a
 * heap without breaking its sleep (what a lost wake-up leaves behind):
 * sysmon's look at overdue timers must break it. */
static void miss_timer_then_kick(void *arg)
{
    struct poll_script *s = arg;
    script_wait(s->until);
    script_go(s->until);
    usleep(20 * 1000); /* (asleep by now, or about to be: either way it must be broken) */
    s->err = mn_timer_add(&mn_sched.allp[0]->timers, &s->timer, mn_nanotime(), note_fired, NULL);
    uint32_t seq = atomic_load(&mn_sched.poll_seq);
    mn_kick_overdue_timers(mn_nanotime());
    note_broke(s, seq);
    SCRIPT_AWAIT(atomic_load(&timer_fired));
}

/* (Caught with the safety net standing aside whenever a poll owner
 * existed, as it did: the lost wake-up of timer_started_while_poll_owner_
 * reads_heaps hung thread_cputime_2p for good instead of for a moment.) */
Test(park_protocol, overdue_timer_breaks_a_poll_owner_asleep_past_it)
{
    static struct poll_script s;
    run_poll_script(&s, miss_timer_then_kick);
    cr_assert(s.broke, "sysmon's look at an overdue timer left the poll owner asleep past it");
}
