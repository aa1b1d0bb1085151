/* The life of a G: creation (memory, TCB, first context), exit, join and
 * detach, and the end of its memory. Finished Gs go to the free list
 * (core/gcache.h) with their memory (core/gblock.h: stack, TCB and
 * descriptor in one mapping) for reuse, as Go keeps dead gs; sysmon gives
 * back those the program no longer needs (mn_g_trim).
 *
 * Invariants:
 * - join_lock guards detached/exited/joiner/reaped, also while the G sits
 *   in the free list or is being reused (the lock lives as long as the G).
 * - `reaped` is set, under join_lock, exactly once per life of a G, by
 *   whoever hands it to the free list: its joiner (or, for a joiner that
 *   waits, the exit that wakes it), pthread_detach of a finished G, or the
 *   exit of a detached G. Only that party calls gfput, so no G enters the
 *   free list twice, whatever stale handles the program uses.
 * - A G's memory is given back only from the free list, so a stale handle
 *   (a joined or finished detached thread's) finds its G while it is
 *   there, which answers as glibc does for a dead descriptor that was not
 *   reused yet (ESRCH after a join, EINVAL after a detached exit). Once the
 *   G is reused the handle names the new thread, as glibc's handles do when
 *   it reuses a descriptor; once its memory is given back, the handle names
 *   nothing, as glibc's do once its stack cache lets the memory go. While a
 *   TCB is being re-initialised for reuse, its owner slot is briefly not
 *   the G: mn_tcb_is_g tells that case from a foreign thread's TCB.
 * - A G's memory is given back under allg_lock, never while it is in the
 *   list of started Gs (mn_g_walk may walk that list without the lock).
 * - A G in the free list is IDLE; its TCB keeps malloc's per-thread cache.
 * - The main G is never freed: its TCB and stack are the main thread's.
 *   Its stack's bounds are all zero until mn_g_main_stack_find, then
 *   fixed. */
#include "core/runtime.h"
#include "core/signals.h"

#include "compat/fsbase.h"
#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "compat/tcb.h"
#include "core/context.h"
#include "core/cputime.h"
#include "core/gblock.h"
#include "core/gcache.h"
#include "core/gtid.h"
#include "core/sigframes.h"
#include "core/unwind.h"
#include "core/waiter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Gs freed at a time under allg_lock */
#define FREE_BATCH 64

static mn_g main_g;

uint32_t mn_g_index(const mn_g *g)
{
    return (uint32_t)(g->tid - mn_gtid_base());
}

/* In the child of fork: the parent's Gs but the forking one, linked by
 * allnext, whose reclaim waits until something in the child could look
 * at them (reclaim_vanished_all). NULL once done, and in the parent. */
static _Atomic(mn_g *) vanished;

static void reclaim_vanished_all(void);

static inline void reclaim_vanished_now(void)
{
    if (__builtin_expect(atomic_load_explicit(&vanished, memory_order_acquire) != NULL, 0))
        reclaim_vanished_all();
}

mn_g *mn_g_from_index(uint32_t i)
{
    reclaim_vanished_now();
    return mn_gtid_g(i);
}

static void allg_add(mn_g *g)
{
    mn_lock_acquire(&mn_sched.allg_lock);
    g->allprev = NULL;
    g->allnext = mn_sched.allg;
    if (mn_sched.allg)
        mn_sched.allg->allprev = g;
    mn_sched.allg = g;
    mn_lock_release(&mn_sched.allg_lock);
}

static void allg_remove(mn_g *g)
{
    mn_lock_acquire(&mn_sched.allg_lock);
    if (g->allprev)
        g->allprev->allnext = g->allnext;
    else
        mn_sched.allg = g->allnext;
    if (g->allnext)
        g->allnext->allprev = g->allprev;
    mn_lock_release(&mn_sched.allg_lock);
}

void mn_g_foreach(void (*fn)(mn_g *, void *), void *arg)
{
    mn_lock_acquire(&mn_sched.allg_lock);
    for (mn_g *g = mn_sched.allg; g; g = g->allnext)
        fn(g, arg);
    mn_lock_release(&mn_sched.allg_lock);
}

void mn_g_walk(bool (*fn)(mn_g *, void *), void *arg, long max_steps)
{
    bool locked = false;
    for (int i = 0; i < 200 && !(locked = mn_lock_try(&mn_sched.allg_lock)); i++) {
        struct timespec ts = {0, 50 * 1000};
        mn_raw_syscall(SYS_nanosleep, &ts, NULL);
    }
    long steps = 0;
    for (mn_g *g = mn_sched.allg; g && steps < max_steps && fn(g, arg); g = g->allnext)
        steps++;
    if (locked)
        mn_lock_release(&mn_sched.allg_lock);
}

static void gfput(mn_g *g)
{
    if (g->is_main)
        return;
    atomic_store(&g->status, MN_G_IDLE);
    mn_gcache_put(g);
}

/* Gives back the memory of Gs out of the free list (linked by schedlink),
 * a batch at a time: their tids named nothing before they are handed out
 * again, their memory unmapped under allg_lock (see the invariants). */
static void free_gs(mn_g *g)
{
    while (g) {
        mn_g *end = g;
        for (int n = 0; end && n < FREE_BATCH; n++, end = end->schedlink)
            mn_gtid_set(end->tid, NULL);
        mn_lock_acquire(&mn_sched.lock);
        for (mn_g *f = g; f != end; f = f->schedlink)
            mn_gtid_put_locked(f->tid);
        mn_lock_release(&mn_sched.lock);
        mn_lock_acquire(&mn_sched.allg_lock);
        while (g != end) {
            mn_g *next = g->schedlink;
            mn_gblock_free(g);
            g = next;
        }
        mn_lock_release(&mn_sched.allg_lock);
    }
}

void mn_g_trim(void)
{
    free_gs(mn_gcache_trim());
}

static void g_entry(void *arg)
{
    mn_g *g = arg;
    mn_tcb_on_start();
    mn_resume_g(g);
    mn_hooks.g_main(g);
    mn_fatal("G %lld returned from its entry", (long long)g->id);
}

/* A G for spec, whose TCB names it (owner slot and fake tid) from here
 * on: from the free list if one fits its stack, else new. */
static mn_g *g_alloc(const struct mn_g_spec *spec)
{
    size_t stack = spec->user_stack ? 0 : mn_round_page(spec->stack_size);
    size_t guard = spec->user_stack ? 0 : mn_round_page(spec->guard_size);
    mn_g *g = mn_gcache_get(stack, guard);
    if (g) {
        if (!mn_tcb_recycle(g->tcb)) { /* keeps the tid: see mn_tcb_is_g */
            gfput(g);
            return NULL;
        }
    } else {
        pid_t tid = mn_gtid_get();
        g = tid ? mn_gblock_new(stack, guard) : NULL;
        if (!g) {
            if (tid) {
                mn_lock_acquire(&mn_sched.lock);
                mn_gtid_put_locked(tid);
                mn_lock_release(&mn_sched.lock);
            }
            return NULL;
        }
        g->tid = tid;
        g->join_lock = (mn_lock)MN_LOCK_INIT(JOIN);
        g->siglock = (mn_lock)MN_LOCK_INIT(SIGLOCK);
        mn_gtid_set(tid, g);
    }
    if (spec->user_stack)
        g->stack = (struct mn_stack){.lo = spec->user_stack, .size = spec->user_stack_size};
    mn_tcb_set_tid(g->tcb, g->tid);
    *(mn_g **)mn_tcb_tls_slot(g->tcb, &mn_tls_g) = g;
    *(mn_g **)mn_tcb_tls_slot(g->tcb, &mn_tls_owner) = g;
    return g;
}

int mn_g_new(const struct mn_g_spec *spec, mn_g **out)
{
    mn_unwind_load(); /* for thread dumps, with the first thread (unwind.h) */
    reclaim_vanished_now(); /* their memory may serve this one */
    mn_g *g = g_alloc(spec);
    if (!g)
        return EAGAIN;
    g->id = atomic_fetch_add(&mn_sched.next_goid, 1);
    g->start = spec->start;
    g->arg = spec->arg;
    g->c11 = spec->c11;
    g->result = NULL;
    mn_lock_acquire(&g->join_lock); /* a stale handle may be looking */
    g->detached = spec->detached;
    g->exited = false;
    g->reaped = false;
    g->joiner = NULL;
    mn_lock_release(&g->join_lock);
    atomic_store_explicit(&g->wait_reason, NULL, memory_order_relaxed);
    g->created_pc = spec->created_pc;
    mn_release_turn_reset(g);
    g->cpu_ns = g->cpu_in = 0; /* (it runs first in mn_resume_g, which notes cpu_in) */
    atomic_store(&g->cpu_since_m, NULL);
    atomic_store(&g->cpu_on, mn_cputime_all);
    g->lockedm = NULL;
    g->lock_count = 0;
    g->bound = false;
    g->fork_locked = false;
    g->altstack = (stack_t){.ss_flags = SS_DISABLE};
    mn_g *self = mn_getg();
    g->created_by = self ? self->id : 0;
    /* a new thread has its creator's name, as the kernel gives it */
    memcpy(g->name, self ? self->name : "", self ? sizeof g->name : 1);
    if (spec->sigmask)
        g->sigmask = *spec->sigmask;
    else if (self)
        g->sigmask = self->sigmask;
    else
        mn_real.sigprocmask(SIG_SETMASK, NULL, &g->sigmask);
    g->sp = mn_ctx_make(g->stack.lo + g->stack.size, g_entry, g);
    mn_san_new(&g->san);
    mn_sig_g_started(g);
    allg_add(g);
    mn_gcache_note_live(atomic_fetch_add(&mn_sched.glive, 1) + 1);
    atomic_fetch_add(&mn_sched.gcreated, 1);
    *out = g;
    return 0;
}

void mn_g_run(mn_g *g)
{
    mn_sched_start_g(g);
}

MN_SAN_NO_STACK_CLEANUP _Noreturn void mn_g_exit(void *result)
{
    mn_g *g = mn_getg();
    g->result = result;
    if (g->fork_locked) { /* only since a fork: its M goes on, not with it */
        g->fork_locked = false;
        mn_unlock_thread(false);
    }
    mn_tcb_release_on_exit();
    mn_sig_g_ended(g);
    /* The last thread to finish ends the process, as with glibc. */
    if (atomic_fetch_sub(&mn_sched.glive, 1) == 1)
        exit(0);
    mn_tcb_free_on_exit();
    /* after the last of its code: a handler it ends in keeps it on its M
     * until here, but does not make that M end with it */
    mn_sig_handlers_end(g);
    mn_sched_exit_g(g);
}

void mn_g_finish_exit(mn_g *g)
{
    /* (the main G's stack may be unknown, all zero: never reused, it needs
     * no unpoisoning) */
    mn_san_g_exited(g->sp, g->stack.lo, g->stack.size);
    atomic_store(&g->status, MN_G_DEAD);
    allg_remove(g);
    mn_lock_acquire(&g->join_lock);
    g->exited = true;
    /* a detached G is nobody's to join; a waiting joiner is handed the G */
    bool free_now = g->detached;
    struct mn_waiter *w = g->joiner;
    g->joiner = NULL;
    g->reaped = free_now || w;
    mn_lock_release(&g->join_lock);
    if (free_now)
        gfput(g);
    else if (w)
        mn_waiter_wake(w);
}

static bool cancel_join(struct mn_waiter *w)
{
    mn_g *g = (mn_g *)w->tag;
    mn_lock_acquire(&g->join_lock);
    bool was = g->joiner == w;
    if (was)
        g->joiner = NULL;
    mn_lock_release(&g->join_lock);
    return was;
}

/* glibc's order of checks (nptl/pthread_join_common.c, pthread_tryjoin.c);
 * `joined` is a reaped G that was not detached. Under join_lock. */
static int join_refusal(mn_g *g, bool try_only, int64_t deadline_ns)
{
    bool joined = g->reaped && !g->detached;
    if (try_only && (!g->exited || joined))
        return EBUSY; /* tryjoin: the thread has not finished (tid != 0) */
    if (joined)
        return ESRCH;
    if (g->detached || deadline_ns == MN_JOIN_BAD_TIME)
        return EINVAL;
    if (g == mn_getg())
        return EDEADLK;
    if (g->joiner)
        return EINVAL;
    return 0;
}

int mn_g_join(mn_g *g, void **result, int64_t deadline_ns, bool try_only)
{
    mn_lock_acquire(&g->join_lock);
    int err = join_refusal(g, try_only, deadline_ns);
    if (err) {
        mn_lock_release(&g->join_lock);
        return err;
    }
    bool reaped_for_us = false;
    while (!g->exited && !reaped_for_us) {
        struct mn_waiter w;
        mn_waiter_init(&w, "thread join");
        w.num = g->id; /* for thread dumps */
        w.cancel = cancel_join;
        w.tag = (uintptr_t)g;
        w.intr = true; /* a handler runs, then the join goes on */
        w.cancel_point = true;
        g->joiner = &w;
        mn_lock_release(&g->join_lock);
        /* woken only by mn_g_finish_exit, which reaped the G for us */
        int r = mn_waiter_block(&w, deadline_ns);
        if (r == ETIMEDOUT)
            return ETIMEDOUT;
        reaped_for_us = r == 0;
        if (!reaped_for_us && mn_hooks.testcancel)
            mn_hooks.testcancel(); /* a cancellation point */
        mn_lock_acquire(&g->join_lock);
    }
    if (!reaped_for_us)
        g->reaped = true;
    mn_lock_release(&g->join_lock);
    if (result)
        *result = g->result;
    gfput(g);
    return 0;
}

int mn_g_detach(mn_g *g)
{
    mn_lock_acquire(&g->join_lock);
    int err = g->reaped && !g->detached ? ESRCH : g->detached ? EINVAL : 0;
    if (err || g->joiner) { /* somebody joins it already: glibc leaves it so */
        mn_lock_release(&g->join_lock);
        return err;
    }
    g->detached = true;
    bool free_now = g->exited;
    g->reaped = free_now;
    mn_lock_release(&g->join_lock);
    if (free_now)
        gfput(g);
    return 0;
}

mn_g *mn_g_from_tcb(void *tcb)
{
    if (!tcb)
        return NULL;
    reclaim_vanished_now(); /* a handle to one finds it joined */
    mn_g *g = *(mn_g **)mn_tcb_tls_slot(tcb, &mn_tls_owner);
    return g && g->tcb == tcb ? g : NULL;
}

bool mn_tcb_is_g(void *tcb)
{
    if (!tcb)
        return false;
    /* every TCB of a G carries its G's fake tid for good (g_alloc, and
     * mn_tcb_recycle leaves it); glibc's carry a real tid, 0 or -1 */
    return mn_gtid_was_handed_out(mn_tcb_tid(tcb));
}

mn_g *mn_g_boot_main(void)
{
    mn_g *g = &main_g;
    g->tcb = mn_thread_pointer();
    mn_san_adopt(&g->san);
    g->tid = mn_gtid_get();
    mn_gtid_set(g->tid, g);
    mn_tcb_set_tid(g->tcb, g->tid);
    g->id = 1;
    atomic_store(&mn_sched.next_goid, 2);
    g->is_main = true;
    g->join_lock = (mn_lock)MN_LOCK_INIT(JOIN);
    g->siglock = (mn_lock)MN_LOCK_INIT(SIGLOCK);
    mn_real.sigprocmask(SIG_SETMASK, NULL, &g->sigmask);
    /* one the program set before boot is the main G's (M0 gets its own) */
    if (mn_raw_syscall(SYS_sigaltstack, NULL, &g->altstack) != 0)
        g->altstack = (stack_t){.ss_flags = SS_DISABLE};
    mn_sig_g_started(g);
    allg_add(g);
    atomic_store(&mn_sched.glive, 1);
    atomic_store(&mn_sched.gcreated, 1);
    return g;
}

mn_g *mn_g_main(void)
{
    return &main_g;
}

/* 0 not known, 1 being stored, 2 known. Each caller that finds it unknown
 * reads it itself; the first to store it wins, the rest wait the few
 * instructions of the store, made with every signal held off (a thread
 * dump made in a handler on the storing thread finds it whole). A fork
 * in the middle of another thread's store leaves 1 in the child, which
 * mn_g_fork_child puts back to 0. */
static _Atomic int main_stack_state;

void mn_g_main_stack_find(void)
{
    if (atomic_load_explicit(&main_stack_state, memory_order_acquire) == 2)
        return;
    struct mn_stack s = {0};
    if (!mn_stack_of_main_thread(&s))
        mn_warn_once("the main thread's stack is not in /proc/self/maps: "
                     "pthread_getattr_np gives it no size");
    uint64_t all = ~0ull, old;
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
    int unknown = 0;
    if (atomic_compare_exchange_strong(&main_stack_state, &unknown, 1)) {
        main_g.stack = s;
        atomic_store_explicit(&main_stack_state, 2, memory_order_release);
    }
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
    while (atomic_load_explicit(&main_stack_state, memory_order_acquire) != 2)
        ;
}

/* An unfinished G of the parent, in the child of fork: as glibc counts
 * such a thread's stack free in the child, its memory goes back without
 * any of its code running (no destructors: natively they never run
 * either). A handle to it finds a joined thread (ESRCH). */
static void reclaim_vanished(mn_g *g)
{
    g->join_lock = (mn_lock)MN_LOCK_INIT(JOIN);
    g->siglock = (mn_lock)MN_LOCK_INIT(SIGLOCK);
    g->exited = g->reaped = true;
    g->detached = false;
    g->joiner = NULL;
    g->lockedm = NULL;
    atomic_store(&g->cancel_call_m, NULL);
    if (g->is_main) { /* the main thread's stack and TCB: never freed */
        atomic_store(&g->status, MN_G_DEAD);
        return;
    }
    atomic_store(&g->status, MN_G_IDLE);
    mn_gcache_put(g);
}

/* Reclaims the Gs of `vanished`, once, under allg_lock: a caller that
 * finds them there waits for the one reclaiming them. */
static void reclaim_vanished_all(void)
{
    mn_lock_acquire(&mn_sched.allg_lock);
    for (mn_g *g = atomic_load(&vanished), *next; g; g = next) {
        next = g->allnext;
        reclaim_vanished(g);
    }
    atomic_store_explicit(&vanished, NULL, memory_order_release);
    mn_lock_release(&mn_sched.allg_lock);
}

void mn_g_fork_child(mn_g *self)
{
    /* Their reclaim writes to each (a copy of its page, as the child's
     * memory is the parent's copy-on-write): deferred to the first look
     * at a G by handle or index, or the first thread made, which a child
     * that execs at once never makes. */
    if (self->allprev)
        self->allprev->allnext = self->allnext;
    else
        mn_sched.allg = self->allnext;
    if (self->allnext)
        self->allnext->allprev = self->allprev;
    /* A child that made no thread since its own fork (the only kind whose
     * list is not reclaimed yet, mn_g_new) forks with self alone: its
     * list stays, for its child too. */
    if (mn_sched.allg)
        atomic_store_explicit(&vanished, mn_sched.allg, memory_order_release);
    mn_sched.allg = self;
    self->allnext = self->allprev = NULL;
    int storing = 1; /* another thread's, which did not come along */
    atomic_compare_exchange_strong(&main_stack_state, &storing, 0);
    /* glibc's fork wrote the child's real tid into the TCB */
    mn_tcb_set_tid(self->tcb, self->tid);
    self->join_lock = (mn_lock)MN_LOCK_INIT(JOIN);
    self->siglock = (mn_lock)MN_LOCK_INIT(SIGLOCK);
    self->joiner = NULL; /* a thread of the parent */
    self->p_in_syscall = false;
    atomic_store(&self->preempt, false);
    atomic_store(&self->cancel_call_m, NULL);
    atomic_store(&mn_sched.glive, 1);
    atomic_store(&mn_sched.gcreated, 1);
}
