/* Signals to program threads: see signals.h. */
#include "core/signals.h"

#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "compat/tcb.h"
#include "core/altstack.h"
#include "core/dump.h"
#include "core/exectrace_file.h"
#include "core/futex.h"
#include "core/kthread.h"
#include "core/faults.h"
#include "core/preempt.h"
#include "core/runtime.h"
#include "core/sched_internal.h"
#include "core/siginbox.h"
#include "core/sigframes.h"
#include "core/sysmon.h"
#include "core/waiter.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#define BIT(sig) (1ull << ((sig) - 1))
#define NSIGS 64

uint64_t mn_sig_blockable(void)
{
    return ~(BIT(SIGKILL) | BIT(SIGSTOP) | BIT(32) | BIT(33) | BIT(SIGSEGV) | BIT(SIGBUS) |
             BIT(SIGILL) | BIT(SIGFPE) | BIT(SIGTRAP) | BIT(SIGSYS));
}

static void set_kernel_mask(uint64_t mask)
{
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, NULL, sizeof mask);
}

static void set_bits(sigset_t *s, uint64_t bits)
{
    *(uint64_t *)s = bits;
}

/* Real-time signals queue, as the kernel queues them for a thread: the
 * first pending one of each number is in g->siginfo, the others here in
 * the order they came, up to QUEUE_MAX (then sending fails with EAGAIN,
 * as sigqueue does past RLIMIT_SIGPENDING). A standard signal is pending
 * at most twice, as Linux keeps it pending for the thread and for the
 * process side by side: the one sent to the thread in g->siginfo, a
 * process's routed to the G behind it here (g->sigpend_proc: the one in
 * g->siginfo is the process's, none of the thread's is pending); a second
 * of the same kind is dropped, the first kept. Under g->siglock. */
#define QUEUE_MAX 64
#define KERNEL_SIGRTMIN 32

struct mn_sig_queue {
    int n;
    struct {
        int sig;
        siginfo_t info;
    } e[QUEUE_MAX];
};

/* ---- the program's actions ---- */

/* Read without a lock by the handler: a change racing with a signal sees
 * the old or the new action, as natively. */
static struct sigaction program[NSIGS + 1];
static mn_lock action_lock = MN_LOCK_INIT(ACTION);
static mn_g *main_g;

static bool is_handler(const struct sigaction *a)
{
    return a->sa_handler != SIG_DFL && a->sa_handler != SIG_IGN;
}

/* Whether sig is discarded when it comes unblocked: SIG_IGN, or SIG_DFL
 * for one whose default is to be ignored. The kernel discards such a
 * signal, mnrt's re-sends of it too: one left pending in a G would end
 * every wait of the G, for good. */
static bool ignored(int sig)
{
    void (*h)(int) = program[sig].sa_handler;
    return h == SIG_IGN || (h == SIG_DFL && (BIT(sig) & (BIT(SIGCHLD) | BIT(SIGCONT) |
                                                         BIT(SIGURG) | BIT(SIGWINCH))));
}

/* The kernel's action for the program's a: mnrt's handler with a's mask
 * and flags (SA_RESETHAND is carried out by run_handler, which must find
 * the handler), or a itself. SIGURG keeps mnrt's preemption handler,
 * which passes every other SIGURG on to mn_sig_from_kernel. SIGQUIT left
 * SIG_DFL gets the thread dump's action, which prints the dump and then
 * lets SIGQUIT kill the process (dump.h); while an execution trace is
 * recorded, SIGINT, SIGTERM and SIGHUP left SIG_DFL get its action, which
 * writes the trace and then lets the signal kill (exectrace_file.h). */
static int install(int sig, const struct sigaction *a)
{
    if (sig == SIGURG && mn_preempt_sigbit) /* preempt.c's handler passes the rest on */
        return 0;
    struct sigaction k = *a;
    if (is_handler(a)) {
        k.sa_sigaction = mn_sig_from_kernel;
        k.sa_flags = (a->sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
    } else if (sig == SIGQUIT && a->sa_handler == SIG_DFL) {
        k.sa_sigaction = mn_dump_on_sigquit;
        k.sa_flags = SA_SIGINFO | SA_RESTART;
        sigfillset(&k.sa_mask);
    } else if (a->sa_handler == SIG_DFL && mn_xtrace_catches(sig)) {
        k.sa_sigaction = mn_xtrace_on_signal;
        k.sa_flags = SA_SIGINFO | SA_RESTART;
        sigfillset(&k.sa_mask);
    }
    return mn_real.sigaction(sig, &k, NULL);
}

/* The signals whose handlers mnrt runs here: every blockable one. (The
 * signals of faults are faults.c's: their handlers run where the fault
 * is, which the kernel gets right by itself.) */
static bool mnrt_runs(int sig)
{
    return sig > 0 && sig <= NSIGS && (BIT(sig) & mn_sig_blockable());
}

static pid_t process_id;

bool mn_sig_foreign_process(void)
{
    return mn_raw_syscall(SYS_getpid) != process_id;
}

void mn_sig_boot(void)
{
    process_id = (pid_t)mn_raw_syscall(SYS_getpid);
    bool any = false;
    for (int sig = 1; sig <= NSIGS; sig++) {
        if (!mnrt_runs(sig) || mn_real.sigaction(sig, NULL, &program[sig]) != 0)
            continue;
        if (is_handler(&program[sig])) {
            install(sig, &program[sig]);
            any = true;
        } else if (program[sig].sa_handler == SIG_DFL &&
                   (sig == SIGQUIT || mn_xtrace_catches(sig))) {
            install(sig, &program[sig]); /* the thread dump's, the trace's */
        }
    }
    if (any)
        mn_monitor_ensure();
}

bool mn_sig_default_by_mnrt(int sig)
{
    if (sig == SIGSEGV)
        return mn_faults_segv_by_default();
    return mnrt_runs(sig) && program[sig].sa_handler == SIG_DFL &&
           (sig == SIGQUIT || mn_xtrace_catches(sig));
}

bool mn_sig_program_handles_any(void)
{
    for (int sig = 1; sig <= NSIGS; sig++) {
        if (mnrt_runs(sig)) { /* as the program set it: mnrt's own (SIGURG) aside */
            if (is_handler(&program[sig]))
                return true;
            continue;
        }
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == 32 || sig == 33)
            continue; /* none, faults.c's (faults only), glibc's and mnrt's */
        struct sigaction sa;
        if (mn_real.sigaction(sig, NULL, &sa) == 0 && is_handler(&sa))
            return true;
    }
    return false;
}

int mn_sig_action(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (!mnrt_runs(sig) || mn_sig_foreign_process())
        return mn_real.sigaction(sig, act, old);
    mn_lock_acquire(&action_lock);
    struct sigaction prev = program[sig];
    if (act) {
        if (install(sig, act) != 0) {
            mn_lock_release(&action_lock);
            return -1;
        }
        program[sig] = *act;
    }
    mn_lock_release(&action_lock);
    /* one that came while the lock was held waits in the G (mn_sig_send):
     * it runs now, or the next of its number would merge with it */
    mn_g *g = mn_getg();
    if (g && mn_sig_deliverable(atomic_load(&g->sigpend), &g->sigmask))
        mn_sig_deliver_pending();
    if (old)
        *old = prev;
    if (act && is_handler(act))
        mn_monitor_ensure(); /* forwards signals (mn_sig_forward) */
    return 0;
}

/* ---- the union of the Gs' masks ---- */

/* A count of live Gs per distinct mask; slot 0, mask 0, also counts Gs
 * whose mask found no slot (it accepts more than they do: a signal nobody
 * takes waits in proc_pend below, it is not lost). */
#define NSLOTS 32
static struct {
    uint64_t mask;
    _Atomic int64_t count;
} slots[NSLOTS];
static int nslots = 1; /* slot 0: mask 0 */
static mn_lock mask_lock = MN_LOCK_INIT(MASK);
static _Atomic bool union_dirty = true;

/* Signals sysmon took that no G accepted by then (a G changed its mask,
 * or ran a handler, meanwhile): pending for the process, in mnrt, until
 * a G that accepts one looks (take_process_pending). Signals that every
 * G blocks for good never get here: sysmon blocks them too, so they stay
 * pending in the kernel (sigwait, signalfd). */
static mn_lock proc_lock = MN_LOCK_INIT(PROC);
static _Atomic uint64_t proc_pend;
static siginfo_t proc_info[NSIGS];

static void take_process_pending(mn_g *g, uint64_t mask);

static int slot_of(uint64_t mask)
{
    mn_lock_acquire(&mask_lock);
    int i = 0;
    while (i < nslots && slots[i].mask != mask)
        i++;
    if (i == nslots) {
        if (nslots < NSLOTS)
            slots[nslots++].mask = mask;
        else
            i = 0;
    }
    mn_lock_release(&mask_lock);
    return i;
}

/* Changes of the union of the Gs' masks (count), and the last one after
 * which sysmon has set its mask and routed what it took before (settle:
 * mn_sig_settle waits for it). */
static _Atomic uint32_t union_gen, union_settled, settle_waiters;
static _Atomic uint32_t forwards; /* mn_sig_forward's, while settle waits */

static void count(int slot, int delta)
{
    int64_t before = atomic_fetch_add(&slots[slot].count, delta);
    if ((before == 0) != (before + delta == 0)) {
        atomic_fetch_add(&union_gen, 1);
        atomic_store(&union_dirty, true);
        mn_monitor_poke();
    }
}

void mn_sig_g_started(mn_g *g)
{
    mn_g *self = mn_getg();
    uint64_t mask = mn_sig_bits(&g->sigmask) & mn_sig_blockable();
    g->mask_slot = self && slots[self->mask_slot].mask == mask ? self->mask_slot : slot_of(mask);
    atomic_store(&g->sigpend, 0);
    g->sigpend_proc = 0;
    atomic_store(&g->sigwait_set, 0);
    if (g->sigqueue)
        g->sigqueue->n = 0;
    g->wait_intr = NULL;
    g->sig_frames = (struct mn_sig_frames){0};
    g->sig_ran = g->sig_norestart = false;
    if (g->is_main)
        main_g = g;
    count(g->mask_slot, 1);
}

void mn_sig_g_ended(mn_g *g)
{
    count(g->mask_slot, -1);
}

void mn_sig_g_free(mn_g *g)
{
    if (g->siginfo)
        munmap(g->siginfo, NSIGS * sizeof(siginfo_t));
    if (g->sigqueue)
        munmap(g->sigqueue, sizeof(struct mn_sig_queue));
    g->siginfo = NULL;
    g->sigqueue = NULL;
}

void mn_sig_mask_changed(mn_g *g, const sigset_t *mask)
{
    uint64_t bits = mn_sig_bits(mask) & mn_sig_blockable();
    if (slots[g->mask_slot].mask != bits) {
        int slot = slot_of(bits);
        count(slot, 1);
        count(g->mask_slot, -1);
        g->mask_slot = slot;
    }
    atomic_thread_fence(memory_order_seq_cst); /* mask stored, then proc_pend read (route) */
    take_process_pending(g, bits);
}

/* ---- sysmon's mask ---- */

/* The signals no live G accepts. */
static uint64_t nobody_accepts(void)
{
    uint64_t accepted = 0;
    int n = __atomic_load_n(&nslots, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (atomic_load(&slots[i].count) > 0)
            accepted |= ~slots[i].mask;
    return mn_sig_blockable() & ~accepted;
}

static void monitor_mask(void)
{
    set_kernel_mask(nobody_accepts());
}

uint64_t mn_sig_idle_mask(void)
{
    return mn_sysmon_running() ? mn_sig_blockable() : nobody_accepts();
}

uint64_t mn_sig_block_for_start(void)
{
    uint64_t all = mn_sig_blockable(), old = 0;
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, sizeof all);
    return old;
}

void mn_sig_unblock_after_start(uint64_t mask)
{
    set_kernel_mask(mask);
}

/* ---- handlers ---- */

static bool accepts(const mn_g *g, int sig)
{
    return mn_g_alive(g) && !sigismember(&g->sigmask, sig);
}

bool mn_sig_main_accepts(int sig)
{
    mn_g *g = main_g;
    return g && accepts(g, sig);
}

bool mn_sig_to_main_waiter(int sig, const siginfo_t *info)
{
    mn_g *g = main_g;
    /* (sigwait takes only what mnrt runs: a SIGSEGV made pending in the G
     * was never taken, and the wait went on for ever) */
    if (!g || !mnrt_runs(sig) || accepts(g, sig) || !(atomic_load(&g->sigwait_set) & BIT(sig)))
        return false;
    return mn_sig_send(g, sig, info, true) == 0;
}

/* The G whose own code the handler interrupted, if a program handler may
 * run here: not g0, not a switch (g->switching, from the start of a park
 * or yield on: a handler that parked or yielded the G there would leave
 * the switch to go on with its M's state, sched.c begin_switch), no mnrt
 * lock. */
static mn_g *g_here(void)
{
    mn_g *g = mn_tls_g;
    if (!g || g->switching)
        return NULL;
    mn_m *m = g->m;
    if (!m || m->curg != g || m->locks.count)
        return NULL;
    mn_p *p = m->p;
    if (p && !g->syscall_depth) { /* in a system call it may have lost p */
        uint64_t w = atomic_load(&p->status);
        if (w != mn_pword(m, MN_P_USER) && w != mn_pword(m, MN_P_SYSCALL))
            return NULL;
    }
    return g;
}

/* Signals the kernel sends to the thread that caused them. */
static bool thread_directed(int sig, const siginfo_t *info)
{
    if (info->si_code == SI_TKILL || sig == SIGPIPE || sig == SIGXFSZ)
        return true;
    return info->si_code > 0 && (BIT(sig) & (BIT(SIGBUS) | BIT(SIGILL) | BIT(SIGFPE) |
                                             BIT(SIGTRAP) | BIT(SIGSYS)));
}

uint64_t mn_sig_maskable(void)
{
    return ~(BIT(SIGKILL) | BIT(SIGSTOP) | BIT(32) | BIT(33));
}

/* The kernel thread's mask while a handler runs (the kernel set it so). */
static uint64_t handler_mask(int sig, const struct sigaction *a, const ucontext_t *uc)
{
    uint64_t m = mn_sig_bits(&uc->uc_sigmask) | mn_sig_bits(&a->sa_mask);
    if (!(a->sa_flags & SA_NODEFER))
        m |= BIT(sig);
    return m & mn_sig_maskable();
}

/* An action that is no handler (changed since the signal came): the
 * kernel carries it out, for the process. */
static void act_by_default(int sig, const struct sigaction *a)
{
    uint64_t ignored = BIT(SIGCHLD) | BIT(SIGURG) | BIT(SIGWINCH) | BIT(SIGCONT);
    if (a->sa_handler == SIG_IGN || (BIT(sig) & ignored))
        return;
    mn_raw_syscall(SYS_kill, mn_raw_syscall(SYS_getpid), sig);
}

static bool take_pending(mn_g *g, int sig, siginfo_t *si);
static void send_marked(pid_t tid, int sig);

/* Sends g's kernel thread (g runs there) a marked copy of each signal in
 * pend, pending in g and accepted by it: the copy runs its handler when
 * the kernel thread's mask, the G's, lets it (mn_sig_from_kernel). Ignored
 * ones are dropped instead. */
static void mark_pending(mn_g *g, uint64_t pend)
{
    while (pend) {
        int sig = __builtin_ctzll(pend) + 1;
        pend &= pend - 1;
        if (ignored(sig)) { /* came while blocked, or ignored since */
            siginfo_t si;
            while (take_pending(g, sig, &si))
                ;
            continue;
        }
        send_marked(g->m->tid, sig);
    }
}

/* A program handler may park or yield its G, which may then go on on
 * another M. The kernel restores, at the handler's sigreturn, the
 * alternate stack it saved in uc at delivery: the first M's, which two
 * kernel threads then shared (two handlers on it at once overwrote each
 * other: SIGSEGV in mnrt's preemption handler; review of 2026-12-06).
 * And the M's own may have been replaced meanwhile, for a G that asked
 * for a larger one (mn_altstack_fit unmaps the old one), while the
 * handler's G waited, even if it comes back to the same M. So every
 * handler gives sigreturn its M's stack as it is now. And a handler
 * that runs on its M's alternate stack keeps its G on that M
 * (mn_lock_thread) until it returns: its frames are on that M's stack,
 * where the M's next handler would begin. */
static void note_own_altstack(mn_m *m, ucontext_t *uc)
{
    uc->uc_stack = (stack_t){.ss_sp = m->altstack,
                             .ss_size = m->altstack_size,
                             .ss_flags = m->altstack ? 0 : SS_DISABLE};
}

/* Runs the program's handler a for sig on g (NULL: a thread that is no G),
 * with the G's mask and its M's alternate stack kept right around it. */
static void run_program_handler(mn_g *g, int sig, const struct sigaction *a, siginfo_t *info,
                                ucontext_t *uc)
{
    uint64_t g_mask = 0, uc_mask = mn_sig_bits(&uc->uc_sigmask);
    if (g) {
        g_mask = mn_sig_bits(&g->sigmask);
        set_bits(&g->sigmask, handler_mask(sig, a, uc));
        g->m->sigmask = g->sigmask;
        g->sig_ran = true;
        g->handlers_run++;
        if (!(a->sa_flags & SA_RESTART))
            g->sig_norestart = true;
    }
    mn_sig_call_handler(g, a, sig, info, uc);
    if (g) {
        note_own_altstack(g->m, uc);
        /* The G's mask is again the one it had, unless the handler changed
         * the one sigreturn sets. Not simply uc's: a signal that landed
         * while mnrt's handler for another had not yet run the program's
         * finds that other blocked in the kernel, for that moment only
         * (that handler's own sigreturn unblocks it). The M's mask is
         * the one sigreturn sets (maybe on another M now). */
        uint64_t uc_after = mn_sig_bits(&uc->uc_sigmask);
        set_bits(&g->sigmask, uc_after == uc_mask ? g_mask : uc_after & mn_sig_maskable());
        g->m->sigmask = uc->uc_sigmask;
        mn_sig_mask_changed(g, &g->sigmask);
        /* A signal that came while the handler's mask blocked it and that
         * the mask now accepts runs next, as the kernel runs one at
         * sigreturn (the copy stays blocked in the kernel until then: no
         * nesting in a storm): its post found it blocked and woke nothing,
         * so a wait the G entered next would park with it pending
         * (signal_wakes: a SIGALRM handler that yielded in sem_post, then
         * pthread_join). */
        uint64_t pend = atomic_load(&g->sigpend) & ~mn_sig_bits(&g->sigmask);
        if (pend)
            mark_pending(g, pend);
    }
}

static void run_handler(mn_g *g, int sig, siginfo_t *info, ucontext_t *uc)
{
    struct sigaction a = program[sig];
    if (!is_handler(&a)) {
        act_by_default(sig, &a);
        return;
    }
    if (a.sa_flags & SA_RESETHAND) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        program[sig] = dfl;
        mn_real.sigaction(sig, &dfl, NULL);
    }
    run_program_handler(g, sig, &a, info, uc);
}

void mn_sig_run_fault_handler(int sig, const struct sigaction *a, siginfo_t *info, void *uc)
{
    run_program_handler(g_here(), sig, a, info, uc);
}

static struct mn_sig_queue *queue_of(mn_g *g)
{
    if (!g->sigqueue) {
        void *p = mmap(NULL, sizeof(struct mn_sig_queue), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        g->sigqueue = p == MAP_FAILED ? NULL : p;
    }
    return g->sigqueue;
}

/* The G takes its pending sig's info; returns whether another of sig is
 * still pending (queued behind it). On the G, in handler context: it
 * holds no mnrt lock (g_here), so siglock's holder is another thread. */
static bool take_pending(mn_g *g, int sig, siginfo_t *si)
{
    mn_lock_acquire(&g->siglock);
    *si = g->siginfo[sig - 1];
    bool more = false;
    struct mn_sig_queue *q = g->sigqueue;
    for (int i = 0; q && i < q->n && !more; i++) {
        if (q->e[i].sig != sig)
            continue;
        g->siginfo[sig - 1] = q->e[i].info;
        memmove(&q->e[i], &q->e[i + 1], (size_t)(q->n - i - 1) * sizeof q->e[0]);
        q->n--;
        more = true;
    }
    if (more && sig < KERNEL_SIGRTMIN)
        g->sigpend_proc |= BIT(sig); /* the process's, behind the thread's */
    if (!more) {
        atomic_fetch_and(&g->sigpend, ~BIT(sig));
        g->sigpend_proc &= ~BIT(sig);
    }
    mn_lock_release(&g->siglock);
    return more;
}

/* This thread took sig only to post it, where no handler can run
 * (sysmon; an M between Gs; a G holding an mn_lock): no more of it here
 * until sysmon has routed it, the M runs a G or sleeps, or the G releases
 * its last lock (signals.h, lock.h). Each delivery of a POSIX timer's
 * signal makes it send the next: a thread that took them at 1 MHz did
 * nothing else. Not a G in mnrt's code that holds no lock: it may return
 * to the program's code without a switch (a yield that keeps running, a
 * park called off), and there the signal would stay blocked; a G that
 * then found it pending sent it to itself, blocked, for ever. */
static void hold_off(int sig, ucontext_t *uc)
{
    mn_m *m = mn_tls_g ? mn_tls_g->m : mn_tls_m;
    if (mn_tls_g && !(m && m->locks.count))
        return;
    sigaddset(&uc->uc_sigmask, sig);
    if (m)
        m->locks.sigmask_stale = true;
    else
        atomic_store(&union_dirty, true);
}

void mn_sig_from_kernel(int sig, siginfo_t *info, void *ucv)
{
    int saved_errno = errno;
    ucontext_t *uc = ucv;
    uint64_t bit = BIT(sig);
    if (!mn_tls_g && !mn_tls_m && !mn_monitor_thread()) { /* not mnrt's: as natively */
        if (info->si_errno != MN_SIG_MARK)
            run_handler(NULL, sig, info, uc);
        errno = saved_errno;
        return;
    }
    mn_g *g = g_here();
    if (info->si_errno == MN_SIG_MARK) { /* mnrt's: to run a G's pending one */
        if (g && (atomic_load(&g->sigpend) & bit) && !sigismember(&g->sigmask, sig)) {
            siginfo_t si;
            bool more = take_pending(g, sig, &si);
            run_handler(g, sig, &si, uc);
            if (more) /* delivered when the handler's mask is gone */
                send_marked(g->m->tid, sig);
        } else if (!g && mn_tls_g) { /* not here: at its next entry into mnrt */
            atomic_store(&mn_tls_g->preempt, MN_PREEMPT_ASKED | MN_PREEMPT_AT_RELEASE);
        }
        errno = saved_errno;
        return;
    }
    bool directed = thread_directed(sig, info);
    if (g && directed)
        run_handler(g, sig, info, uc);
    else if (g && accepts(g, sig) && (g == main_g || !main_g || !accepts(main_g, sig)))
        run_handler(g, sig, info, uc);
    else if (g && main_g && accepts(main_g, sig))
        mn_siginbox_post(sig, info, main_g, false);
    else {
        mn_siginbox_post(sig, info, directed ? mn_tls_g : NULL, directed);
        if (!g)
            hold_off(sig, uc);
    }
    errno = saved_errno;
}

/* ---- pending signals of a G ---- */

static siginfo_t *info_table(mn_g *g)
{
    if (!g->siginfo) {
        void *p = mmap(NULL, NSIGS * sizeof(siginfo_t), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        g->siginfo = p == MAP_FAILED ? NULL : p;
    }
    return g->siginfo;
}

/* Sends sig to the kernel thread tid, marked as mnrt's: the handler
 * finds the signal's own info in the G. (Only the main kernel thread may
 * send an info whose si_code is not negative, so this one says SI_QUEUE.) */
static void send_marked(pid_t tid, int sig)
{
    siginfo_t si = {.si_signo = sig, .si_code = SI_QUEUE, .si_errno = MN_SIG_MARK};
    si.si_pid = (pid_t)mn_raw_syscall(SYS_getpid);
    mn_raw_syscall(SYS_rt_tgsigqueueinfo, si.si_pid, tid, sig, &si);
}

/* Puts info behind the pending ones of g (under siglock). */
static int enqueue(mn_g *g, int sig, const siginfo_t *info)
{
    struct mn_sig_queue *q = queue_of(g);
    if (!q || q->n == QUEUE_MAX)
        return EAGAIN;
    q->e[q->n].sig = sig;
    q->e[q->n].info = *info;
    q->n++;
    return 0;
}

/* A standard signal sig already pending in g, sent again (see QUEUE_MAX):
 * dropped, or pending twice (under siglock). */
static int send_again(mn_g *g, int sig, const siginfo_t *info, bool from_process)
{
    uint64_t bit = BIT(sig);
    bool pending_proc = g->sigpend_proc & bit;
    struct mn_sig_queue *q = g->sigqueue;
    bool queued = false;
    for (int i = 0; q && i < q->n && !queued; i++)
        queued = q->e[i].sig == sig;
    if (pending_proc == from_process || queued)
        return 0; /* that kind is pending already: the first stays */
    if (from_process)
        return enqueue(g, sig, info);
    /* the thread's goes first: the process's moves behind it */
    int err = enqueue(g, sig, &g->siginfo[sig - 1]);
    if (!err) {
        g->siginfo[sig - 1] = *info;
        g->sigpend_proc &= ~bit;
    }
    return err;
}

int mn_sig_send(mn_g *g, int sig, const siginfo_t *info, bool from_process)
{
    mn_lock_acquire(&g->siglock);
    if (!mn_g_alive(g)) {
        mn_lock_release(&g->siglock);
        return ESRCH;
    }
    if (ignored(sig) && !sigismember(&g->sigmask, sig)) { /* as Linux: discarded */
        mn_lock_release(&g->siglock);
        return 0;
    }
    siginfo_t *table = info_table(g);
    if (!table) {
        mn_lock_release(&g->siglock);
        return EAGAIN;
    }
    if (atomic_load(&g->sigpend) & BIT(sig)) { /* the first one woke it already */
        int err = sig >= KERNEL_SIGRTMIN ? enqueue(g, sig, info)
                                         : send_again(g, sig, info, from_process);
        mn_lock_release(&g->siglock);
        return err;
    }
    table[sig - 1] = *info;
    if (from_process && sig < KERNEL_SIGRTMIN)
        g->sigpend_proc |= BIT(sig);
    else
        g->sigpend_proc &= ~BIT(sig);
    atomic_fetch_or(&g->sigpend, BIT(sig));
    bool accepted = !sigismember(&g->sigmask, sig);
    struct mn_waiter *w = g->wait_intr;
    if (accepted && w && w->cancel(w)) {
        g->wait_intr = NULL;
        w->result = EINTR;
    } else {
        w = NULL;
    }
    mn_m *m = __atomic_load_n(&g->m, __ATOMIC_RELAXED); /* a snapshot: a stale M drops the marked copy */
    uint32_t st = atomic_load(&g->status);
    bool awaited = atomic_load(&g->sigwait_set) & BIT(sig);
    mn_lock_release(&g->siglock);
    if (w)
        mn_waiter_wake(w);
    else if ((accepted || awaited) && st == MN_G_RUNNING && m)
        send_marked(m->tid, sig); /* (awaited: ends its sigwait, which takes it from g) */
    return 0;
}

int mn_sig_take_awaited(mn_g *g, const sigset_t *set, siginfo_t *info)
{
    uint64_t want = atomic_load(&g->sigpend) & mn_sig_bits(set) & mn_sig_blockable();
    if (!want)
        return 0;
    int sig = __builtin_ctzll(want) + 1;
    take_pending(g, sig, info);
    return sig;
}

/* Whether g's M still holds the P it had: sysmon takes the P of a G
 * that blocked where mnrt does not see (sysmon.c look_user), and the G
 * then runs on without one until it switches. */
static bool holds_its_p(const mn_g *g)
{
    mn_m *m = g->m;
    uint64_t w = m->p ? atomic_load(&m->p->status) : 0;
    return m->p && (w == mn_pword(m, MN_P_USER) || w == mn_pword(m, MN_P_SYSCALL) ||
                    w == mn_pword(m, MN_P_RUNNING));
}

int mn_sig_send_self(int sig, const siginfo_t *info)
{
    mn_g *g = mn_tls_g;
    if (!holds_its_p(g))
        mn_yield();
    pid_t pid = info->si_pid, tid = mn_kthread_self();
    /* The P may still go after that look: sysmon takes it from a kernel
     * thread it finds asleep where mnrt does not see (a page fault that
     * waits for the mmap lock, under load). Outside a system call g_here
     * then turns the handler away, and the signal went through sysmon's
     * inbox, to run after this had returned (altstack: "999 handlers ran
     * on an alternate stack", CI at load 12-130, ~1 run in 150 here). In
     * a system call a lost P lets the handler in (g_here), as for one
     * that interrupts a blocking call: the kernel runs it as the call
     * returns, inside the bracket, whatever became of the P. */
    mn_entersyscall();
    long r = info->si_code == SI_TKILL
                 ? mn_raw_syscall(SYS_tgkill, pid, tid, sig)
                 : mn_raw_syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, info);
    mn_exitsyscall();
    return (int)-r;
}

void mn_sig_deliver_pending(void)
{
    mn_g *g = mn_tls_g;
    if (!g)
        return;
    uint64_t pend = atomic_load(&g->sigpend) & ~mn_sig_bits(&g->sigmask);
    /* without its P, the handlers would not run (g_here) and a wait that
     * finds them pending would end again at once, for good (gdb's poll
     * loop spun so): switch first, to run again with a P */
    if (pend && !holds_its_p(g)) {
        mn_yield();
        pend = atomic_load(&g->sigpend) & ~mn_sig_bits(&g->sigmask);
    }
    /* the marked copies must find the kernel mask the G's: one left
     * blocked there (hold_off) would stay pending in the kernel thread
     * while every wait of the G ended at once, for this signal, for ever */
    if (pend)
        mn_sigmask_reopen();
    mark_pending(g, pend);
}

/* ---- sysmon: routing ---- */

/* Where Linux would put a process-directed signal: the main thread, else
 * a thread asleep in an interruptible wait, else a running one, else any
 * that accepts it. */
static mn_g *choose(int sig)
{
    if (main_g && accepts(main_g, sig))
        return main_g;
    mn_g *best = NULL;
    int best_rank = 0;
    mn_lock_acquire(&mn_sched.allg_lock);
    for (mn_g *g = mn_sched.allg; g && best_rank < 3; g = g->allnext) {
        if (!accepts(g, sig))
            continue;
        int rank = g->wait_intr ? 3 : atomic_load(&g->status) == MN_G_RUNNING ? 2 : 1;
        if (rank > best_rank) {
            best = g;
            best_rank = rank;
        }
    }
    mn_lock_release(&mn_sched.allg_lock);
    return best;
}

static void route(int sig, const siginfo_t *info, mn_g *target, bool directed)
{
    if (target && mn_sig_send(target, sig, info, !directed) == 0)
        return;
    mn_g *g = choose(sig);
    if (g && mn_sig_send(g, sig, info, true) == 0)
        return;
    mn_lock_acquire(&proc_lock);
    proc_info[sig - 1] = *info;
    atomic_fetch_or(&proc_pend, BIT(sig));
    mn_lock_release(&proc_lock);
    /* a G that unblocked it since choose() looked may have looked at
     * proc_pend before it was set: look again (the G side fences too) */
    atomic_thread_fence(memory_order_seq_cst);
    if ((g = choose(sig)))
        take_process_pending(g, mn_sig_bits(&g->sigmask));
}

/* g now has mask: the process's pending signals it accepts become its. */
static void take_process_pending(mn_g *g, uint64_t mask)
{
    if (!(atomic_load_explicit(&proc_pend, memory_order_relaxed) & ~mask))
        return;
    mn_lock_acquire(&proc_lock);
    uint64_t take = atomic_load(&proc_pend) & ~mask;
    atomic_fetch_and(&proc_pend, ~take);
    siginfo_t infos[NSIGS];
    for (uint64_t t = take; t; t &= t - 1)
        infos[__builtin_ctzll(t)] = proc_info[__builtin_ctzll(t)];
    mn_lock_release(&proc_lock);
    for (uint64_t t = take; t; t &= t - 1)
        mn_sig_send(g, __builtin_ctzll(t) + 1, &infos[__builtin_ctzll(t)], true);
}

uint64_t mn_sig_process_pending(void)
{
    return atomic_load(&proc_pend);
}

bool mn_sig_forward_due(void)
{
    return mn_siginbox_due() || atomic_load(&union_dirty);
}

void mn_sig_forward(void)
{
    /* dirty, then gen: count() bumps gen before it sets dirty, so the
     * gen read here is at least the one that dirty stands for */
    bool dirty = atomic_exchange(&union_dirty, false);
    uint32_t gen = atomic_load(&union_gen);
    mn_siginbox_take(route);
    if (dirty) {
        /* A signal the kernel gave this thread before the mask changed came
         * in as the system call returned: route it too. After that, what
         * the Gs block is blocked here and what sysmon took is routed:
         * settled. */
        monitor_mask();
        mn_siginbox_take(route);
        atomic_store(&union_settled, gen);
    }
    if (atomic_load(&settle_waiters)) {
        atomic_fetch_add(&forwards, 1);
        mn_futex_wake(&forwards, INT32_MAX, false);
    }
}

/* Whether sysmon has followed the union up to gen want. */
static bool union_followed(uint32_t want)
{
    return (int32_t)(atomic_load(&union_settled) - want) >= 0;
}

void mn_sig_settle(void)
{
    uint32_t want = atomic_load(&union_gen);
    if (!mn_sysmon_running() || mn_monitor_thread())
        return;
    int64_t deadline = mn_nanotime() + SETTLE_MAX_NS;
    mn_await_signal_passers(deadline); /* what they took is posted by then */
    bool posted = mn_siginbox_due();
    if (union_followed(want) && !posted)
        return;
    atomic_fetch_add(&settle_waiters, 1);
    mn_monitor_poke();
    uint32_t first = atomic_load(&forwards);
    for (;;) {
        uint32_t seen = atomic_load(&forwards);
        /* a forward that ended after this call began may have taken the
         * inbox before the post this call saw; the next one has it */
        bool routed = !posted || (int32_t)(seen - first) >= 2;
        if ((union_followed(want) && routed) || mn_nanotime() >= deadline)
            break;
        if (seen != first)
            mn_monitor_poke();
        mn_futex_wait(&forwards, seen, deadline, false);
    }
    atomic_fetch_sub(&settle_waiters, 1);
}

/* ---- fork ---- */

void mn_sig_fork_lock(void)
{
    mn_lock_acquire(&action_lock);
}

void mn_sig_fork_unlock(void)
{
    mn_lock_release(&action_lock);
}

void mn_sig_fork_child(mn_g *self)
{
    process_id = (pid_t)mn_raw_syscall(SYS_getpid);
    mask_lock = (mn_lock)MN_LOCK_INIT(MASK);
    proc_lock = (mn_lock)MN_LOCK_INIT(PROC);
    for (int i = 0; i < NSLOTS; i++) {
        slots[i].mask = 0;
        atomic_store(&slots[i].count, 0);
    }
    nslots = 1;
    atomic_store(&proc_pend, 0);
    mn_siginbox_fork_child();
    main_g = self;
    atomic_store(&self->sigpend, 0);
    self->sigpend_proc = 0;
    if (self->sigqueue)
        self->sigqueue->n = 0;
    self->wait_intr = NULL;
    self->mask_slot = slot_of(mn_sig_bits(&self->sigmask) & mn_sig_blockable());
    count(self->mask_slot, 1); /* the union is dirty: sysmon's mask follows */
}

/* ---- cancellation ---- */

bool mn_sig_cancel_requested(mn_g *g)
{
    int ch = atomic_load(mn_tcb_cancelhandling(g->tcb));
    return (ch & (MN_CANCEL_CANCELED | MN_CANCEL_DISABLED)) == MN_CANCEL_CANCELED;
}

void mn_sig_cancel(mn_g *g)
{
    atomic_fetch_or(mn_tcb_cancelhandling(g->tcb), MN_CANCEL_CANCELED);
    mn_lock_acquire(&g->siglock);
    struct mn_waiter *w = g->wait_intr;
    if (w && w->cancel_point && mn_sig_cancel_requested(g) && w->cancel(w)) {
        g->wait_intr = NULL;
        w->result = EINTR;
    } else {
        w = NULL;
    }
    mn_lock_release(&g->siglock);
    if (w)
        mn_waiter_wake(w);
}

/* ---- interruptible waits ---- */

const char mn_sig_suspend_reason[] = "sigsuspend";

/* g->siglock held: whether a signal or cancellation ends w now. */
static bool ends_now(mn_g *g, struct mn_waiter *w)
{
    return mn_sig_deliverable(atomic_load(&g->sigpend), &g->sigmask) ||
           (w->cancel_point && mn_sig_cancel_requested(g));
}

bool mn_sig_wait_begin(struct mn_waiter *w)
{
    mn_g *g = w->g;
    mn_lock_acquire(&g->siglock);
    bool pending = ends_now(g, w);
    g->sig_ran = g->sig_norestart = false;
    w->intr_outer = g->wait_intr; /* a handler's wait inside the G's own */
    if (!pending)
        g->wait_intr = w;
    mn_lock_release(&g->siglock);
    return !pending;
}

void mn_sig_wait_end(struct mn_waiter *w)
{
    mn_g *g = w->g;
    struct mn_waiter *outer = w->intr_outer, *ended = NULL;
    mn_lock_acquire(&g->siglock);
    if (g->wait_intr == w || !g->wait_intr) { /* over, or ended by a signal */
        g->wait_intr = outer;
        /* The wait w was inside is interruptible again. A signal that
         * came meanwhile ended w, not it: it ends now if one waits. */
        if (outer && ends_now(g, outer) && outer->cancel(outer)) {
            g->wait_intr = NULL;
            outer->result = EINTR;
            ended = outer;
        }
    }
    mn_lock_release(&g->siglock);
    if (ended)
        mn_waiter_wake(ended);
}

bool mn_sig_should_fail(bool restartable)
{
    if (mn_hooks.testcancel)
        mn_hooks.testcancel(); /* a cancellation point ended by pthread_cancel */
    return mn_sig_handlers_fail(restartable);
}

bool mn_sig_handlers_fail(bool restartable)
{
    mn_g *g = mn_tls_g;
    mn_sig_deliver_pending();
    bool fail = g->sig_ran && (!restartable || g->sig_norestart);
    g->sig_ran = g->sig_norestart = false;
    return fail;
}
