/* Thread dumps: see dump.h. */
#include "core/dump.h"
#include "core/outbuf.h"

#include "compat/raw_syscall.h"
#include "compat/real.h"
#include "core/context.h"
#include "core/cputime.h"
#include "core/exectrace_file.h"
#include "core/futex.h"
#include "core/kthread.h"
#include "core/lowfd.h"
#include "core/sched_internal.h"
#include "core/signals.h"
#include "core/stats.h"
#include "core/symbolize.h"
#include "core/sysmon.h"
#include "core/unwind.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <ucontext.h>

#ifndef MNRT_VERSION
#define MNRT_VERSION "unknown"
#endif

#define MAX_FRAMES 48
#define STACK_COPY (256 * 1024)           /* bytes of a stack unwound from */
#define MAX_GS (1 << 20)                  /* Gs listed at most */
#define ASK_NS (100 * 1000 * 1000)        /* how long a running G's M may take */
#define SEND_TIMEOUT_S 10                 /* a tool that stops reading */

int (*mn_dump_describe_wait)(const struct mn_dump_wait *w, char *buf, size_t len);

/* ---- output ---- */

/* ---- what the dump keeps of each G ---- */

enum state {
    ST_RUNNING,   /* on an M, in its own code (or mnrt's) */
    ST_SELF,      /* the G that called mnrt_dump */
    ST_SYSCALL,   /* in a system call bracket */
    ST_RUNNABLE,  /* (or made and not started yet) */
    ST_WAITING,
    ST_EXITING,   /* finished, leaving the list */
};

struct entry {
    mn_g *g;
    int64_t id, created_by, since, until, num;
    int64_t cpu;              /* its CPU time (cputime.h), -1: not accounted */
    uintptr_t created_pc;
    const char *reason;
    const char *why;          /* why the stack is short or missing */
    const void *obj;
    char name[16];
    enum state state;
    int mid, pid;             /* M and P (-1: none) */
    bool handed_off;          /* a system call's P was taken */
    int nframes;              /* pcs[0 .. nframes) */
    uint64_t exact;           /* bit i: pcs[i] is the instruction itself */
    int next;                 /* the next entry of its group, -1 */
    /* in the first entry of a group: */
    int count, tail;          /* its size and last entry */
    int next_group;           /* the group that started after it, -1 */
    uintptr_t pcs[MAX_FRAMES];
};

/* The context of the thread that takes a dump in a signal handler. */
struct here {
    mn_g *g;                  /* the G it interrupted, or NULL */
    const ucontext_t *uc;
};

static void regs_from_uc(struct mn_regs *r, const ucontext_t *uc)
{
    const greg_t *gr = uc->uc_mcontext.gregs;
    static const int map[MN_NREGS] = {
        [MN_REG_RAX] = REG_RAX, [MN_REG_RDX] = REG_RDX, [MN_REG_RCX] = REG_RCX,
        [MN_REG_RBX] = REG_RBX, [MN_REG_RSI] = REG_RSI, [MN_REG_RDI] = REG_RDI,
        [MN_REG_RBP] = REG_RBP, [MN_REG_RSP] = REG_RSP, [MN_REG_R8] = REG_R8,
        [MN_REG_R9] = REG_R9,   [MN_REG_R10] = REG_R10, [MN_REG_R11] = REG_R11,
        [MN_REG_R12] = REG_R12, [MN_REG_R13] = REG_R13, [MN_REG_R14] = REG_R14,
        [MN_REG_R15] = REG_R15, [MN_REG_RIP] = REG_RIP,
    };
    for (int i = 0; i < MN_NREGS; i++)
        r->r[i] = (uint64_t)gr[map[i]];
    r->valid = (1u << MN_NREGS) - 1;
}

static uintptr_t stack_top(const mn_g *g, uintptr_t sp)
{
    uintptr_t lo = (uintptr_t)g->stack.lo, hi = lo + g->stack.size;
    return sp >= lo && sp < hi ? hi : sp + STACK_COPY;
}

/* Whether sp is on g's stack, or on the alternate signal stack of its M
 * (a handler with SA_ONSTACK). */
static bool on_own_stack(const mn_g *g, const mn_m *m, uintptr_t sp)
{
    uintptr_t lo = (uintptr_t)g->stack.lo, alt = (uintptr_t)m->altstack;
    return (sp > lo && sp <= lo + g->stack.size) ||
           (alt && sp > alt && sp <= alt + m->altstack_size);
}

/* ---- a running G's stack, taken by its M (the ask) ---- */

enum { ASK_IDLE, ASK_ASKED, ASK_COPYING, ASK_DONE, ASK_ABANDONED };

static struct {
    _Atomic uint32_t state;
    _Atomic uint64_t seq;
    mn_g *g;                  /* the G wanted */
    bool moved;               /* its M ran another G by then */
    struct mn_regs regs;
    char *buf;
    uintptr_t lo, hi;
    size_t len;
} ask;

static void answer_ask(const siginfo_t *info, const ucontext_t *uc)
{
    /* Another ask waits until this handler has returned: it would take
     * this handler's registers (the action of signal 32 is SA_NODEFER, for
     * asynchronous cancellation), and a dump that saw this one done may
     * send the next before this handler returns. sigreturn unblocks it. */
    uint64_t bit = 1ull << (MN_DUMP_SIGNAL - 1);
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &bit, NULL, sizeof bit);
    if ((uint64_t)(uintptr_t)info->si_value.sival_ptr != atomic_load(&ask.seq))
        return; /* an abandoned ask's, late */
    uint32_t asked = ASK_ASKED;
    if (!atomic_compare_exchange_strong(&ask.state, &asked, ASK_COPYING))
        return;
    mn_g *g = mn_tls_g;
    regs_from_uc(&ask.regs, uc);
    ask.lo = (uintptr_t)ask.regs.r[MN_REG_RSP];
    /* the G's own context only: not in the middle of a switch (the stack
     * pointer already another context's, the thread pointer still the
     * G's), nor on an M that is between two Gs */
    mn_m *m = g ? g->m : NULL;
    ask.moved = g != ask.g || !m || m->curg != g || m->prev_g || !on_own_stack(g, m, ask.lo);
    if (!ask.moved) {
        ask.hi = stack_top(g, ask.lo);
        ask.len = mn_safe_copy(ask.buf, ask.lo, ask.hi, STACK_COPY);
    }
    atomic_store(&ask.state, ASK_DONE);
    mn_futex_wake(&ask.state, 1, false);
}

/* Asks m, which runs g, for g's registers and stack. Returns false with
 * *why, or with *moved when m runs another G by now. */
static bool ask_m(mn_g *g, mn_m *m, char *buf, struct mn_regs *regs, struct mn_stack_copy *copy,
                  const char **why, bool *moved)
{
    *moved = false;
    pid_t tid = m->tid;
    if (mn_kthread_state(tid) != 'R') {
        *why = "its kernel thread is asleep where mnrt does not see: no stack";
        return false;
    }
    ask.g = g;
    ask.buf = buf;
    ask.len = 0;
    uint64_t seq = atomic_fetch_add(&ask.seq, 1) + 1;
    atomic_store(&ask.state, ASK_ASKED);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = MN_DUMP_SIGNAL;
    si.si_code = SI_QUEUE;
    si.si_errno = MN_DUMP_MARK;
    si.si_pid = (pid_t)mn_raw_syscall(SYS_getpid);
    si.si_value.sival_ptr = (void *)(uintptr_t)seq;
    if (mn_raw_syscall(SYS_rt_tgsigqueueinfo, si.si_pid, tid, MN_DUMP_SIGNAL, &si) != 0) {
        atomic_store(&ask.state, ASK_IDLE);
        *why = "its kernel thread could not be signalled";
        return false;
    }
    int64_t deadline = mn_nanotime() + ASK_NS;
    uint32_t s;
    while ((s = atomic_load(&ask.state)) == ASK_ASKED || s == ASK_COPYING) {
        if (s == ASK_ASKED && mn_nanotime() >= deadline) {
            uint32_t asked = ASK_ASKED;
            if (atomic_compare_exchange_strong(&ask.state, &asked, ASK_ABANDONED)) {
                *why = "its kernel thread did not answer: its stack cannot be taken";
                return false;
            }
            continue;
        }
        /* copying is short: no deadline then */
        mn_futex_wait(&ask.state, s, s == ASK_ASKED ? deadline : -1, false);
    }
    atomic_store(&ask.state, ASK_IDLE);
    if (ask.moved) {
        *moved = true;
        return false;
    }
    *regs = ask.regs;
    *copy = (struct mn_stack_copy){buf, ask.lo, ask.hi, ask.len};
    return true;
}

/* ---- looking at one G ---- */

/* Registers and stack of a G that switched away: mn_ctx_switch left
 * MXCSR and the x87 control word, r15, r14, r13, r12, rbx, rbp and the
 * return address at g->sp (switch.S). The copy is whole if the G did not
 * run meanwhile: its status and switch count are as before (a G that
 * switches away from the same place has the same sp each time). */
static bool from_switch_frame(mn_g *g, char *buf, struct mn_regs *r, struct mn_stack_copy *c)
{
    uint32_t status = atomic_load(&g->status);
    uint32_t n = atomic_load_explicit(&g->nswitch, memory_order_acquire);
    uintptr_t sp = (uintptr_t)g->sp;
    uintptr_t hi = stack_top(g, sp);
    size_t len = mn_safe_copy(buf, sp, hi, STACK_COPY);
    atomic_thread_fence(memory_order_acquire);
    if (!sp || len < MN_CTX_SIZE || atomic_load(&g->status) != status ||
        atomic_load_explicit(&g->nswitch, memory_order_relaxed) != n ||
        (status == MN_G_RUNNING && g->m))
        return false;
    memset(r, 0, sizeof *r);
    const char *f = buf;
    memcpy(&r->r[MN_REG_R15], f + MN_CTX_R15, 8);
    memcpy(&r->r[MN_REG_R14], f + MN_CTX_R14, 8);
    memcpy(&r->r[MN_REG_R13], f + MN_CTX_R13, 8);
    memcpy(&r->r[MN_REG_R12], f + MN_CTX_R12, 8);
    memcpy(&r->r[MN_REG_RBX], f + MN_CTX_RBX, 8);
    memcpy(&r->r[MN_REG_RBP], f + MN_CTX_RBP, 8);
    memcpy(&r->r[MN_REG_RIP], f + MN_CTX_RIP, 8);
    r->r[MN_REG_RSP] = sp + MN_CTX_SIZE;
    r->valid = 1u << MN_REG_R15 | 1u << MN_REG_R14 | 1u << MN_REG_R13 | 1u << MN_REG_R12 |
               1u << MN_REG_RBX | 1u << MN_REG_RBP | 1u << MN_REG_RIP | 1u << MN_REG_RSP;
    *c = (struct mn_stack_copy){buf, sp, hi, len};
    return true;
}

/* A G in a system call bracket: the registers of mn_entersyscall's
 * caller as that returned (its frame is still there: the call is made
 * from it or below it). */
static bool from_syscall_entry(mn_g *g, char *buf, struct mn_regs *r, struct mn_stack_copy *c)
{
    uintptr_t sp = g->syscall_sp;
    uintptr_t hi = stack_top(g, sp);
    size_t len = mn_safe_copy(buf, sp, hi, STACK_COPY);
    if (!sp || !len)
        return false;
    memset(r, 0, sizeof *r);
    r->r[MN_REG_RBP] = g->syscall_fp;
    r->r[MN_REG_RIP] = g->syscall_pc;
    r->r[MN_REG_RSP] = sp;
    r->valid = 1u << MN_REG_RBP | 1u << MN_REG_RIP | 1u << MN_REG_RSP;
    *c = (struct mn_stack_copy){buf, sp, hi, len};
    return true;
}

void mn_dump_name(char *dst, const char *src)
{
    for (int i = 0; i < 15; i++) {
        char ch = src[i];
        if (!ch) {
            dst[i] = 0;
            return;
        }
        dst[i] = ch >= 0x20 && ch < 0x7f && ch != '"' ? ch : '?';
    }
    dst[15] = 0;
}

/* Fills e from one look at its G, and its backtrace. */
static void look(struct entry *e, mn_g *self, const struct here *here, char *buf)
{
    mn_g *g = e->g;
    e->id = g->id;
    mn_dump_name(e->name, g->name);
    e->created_pc = g->created_pc;
    e->created_by = g->created_by;
    e->nframes = 0;
    struct mn_regs regs;
    struct mn_stack_copy copy;
    bool have = false, exact_first = false;
    for (int tries = 0; tries < 8 && !have; tries++) {
        e->mid = e->pid = -1;
        e->why = e->reason = NULL;
        e->obj = NULL;
        e->num = e->since = 0;
        e->until = -1;
        e->handed_off = false;
        uint32_t status = atomic_load(&g->status);
        mn_m *m = g->m;
        if (status == MN_G_WAITING) {
            e->state = ST_WAITING;
            e->reason = g->wait_reason;
            e->obj = g->wait_obj;
            e->num = g->wait_num;
            e->since = g->wait_since;
            e->until = g->wait_until;
        } else if (status == MN_G_DEAD) {
            e->state = ST_EXITING;
            break;
        } else {
            e->state = status == MN_G_RUNNING ? ST_RUNNING : ST_RUNNABLE;
        }
        if (g == self) {
            e->state = ST_SELF;
            have = from_switch_frame(g, buf, &regs, &copy);
        } else if (e->state != ST_RUNNING || !m) {
            /* (running, no M: between two Ms, or calling on g0) */
            have = from_switch_frame(g, buf, &regs, &copy);
        } else {
            e->mid = m->id;
            mn_p *p = m->p;
            e->pid = mn_p_held_by(p, m) ? p->id : -1;
            if (g->syscall_depth > 0) {
                e->state = ST_SYSCALL;
                uint64_t w = p ? atomic_load(&p->status) : 0;
                e->handed_off = !p || w != mn_pword(m, MN_P_SYSCALL);
                have = from_syscall_entry(g, buf, &regs, &copy);
            } else if (here && here->g == g && here->uc) {
                regs_from_uc(&regs, here->uc);
                uintptr_t sp = (uintptr_t)regs.r[MN_REG_RSP];
                uintptr_t hi = stack_top(g, sp);
                copy = (struct mn_stack_copy){buf, sp, hi, mn_safe_copy(buf, sp, hi, STACK_COPY)};
                have = exact_first = true;
            } else {
                bool moved;
                have = exact_first = ask_m(g, m, buf, &regs, &copy, &e->why, &moved);
                if (!have && !moved)
                    break;
                e->why = "it kept moving between kernel threads";
            }
        }
        if (!have && !e->why)
            e->why = "its stack could not be read (it kept running)";
    }
    if (e->state == ST_EXITING)
        e->why = NULL;
    e->cpu = mn_cputime_of(g);
    if (have) {
        const char *why;
        e->nframes = mn_unwind(&regs, &copy, exact_first, e->pcs, MAX_FRAMES, &e->exact, &why);
        e->why = why;
        if (!e->nframes && !why)
            e->why = "its stack could not be unwound";
    }
}

/* ---- which frames are shown ---- */

static uintptr_t mnrt_lo, mnrt_hi; /* libmnrt's code, for trimming */

static bool in_mnrt(uintptr_t pc)
{
    return pc > mnrt_lo && pc <= mnrt_hi; /* return addresses: pc - 1 is the call */
}

/* mnrt's own frames are left out but for the outermost of those the G is
 * in (the call the program made: pthread_mutex_lock), and a thread's
 * entry below its start function. */
static void trim(struct entry *e, unsigned flags)
{
    if (flags & MN_DUMP_ALL_FRAMES)
        return;
    int n = e->nframes, lead = 0;
    while (lead < n && in_mnrt(e->pcs[lead]))
        lead++;
    int k = 0;
    uint64_t exact = 0;
    for (int i = 0; i < n; i++) {
        if (in_mnrt(e->pcs[i]) && !(lead > 0 && i == lead - 1))
            continue;
        if (i < 64 && (e->exact >> i & 1))
            exact |= 1ull << k;
        e->pcs[k++] = e->pcs[i];
    }
    e->nframes = k;
    e->exact = exact;
}

/* ---- groups: identical stacks, states and creators ---- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t key_hash(const struct entry *e)
{
    uint64_t h = mix((uint64_t)e->state, (uint64_t)(uintptr_t)e->reason);
    h = mix(h, e->created_pc);
    h = mix(h, (uint64_t)(uintptr_t)e->why);
    for (int i = 0; i < e->nframes; i++)
        h = mix(h, e->pcs[i]);
    return h;
}

static bool same_key(const struct entry *a, const struct entry *b)
{
    if (a->state != b->state || a->reason != b->reason || a->created_pc != b->created_pc ||
        a->why != b->why || a->nframes != b->nframes)
        return false;
    if (a->state == ST_RUNNING || a->state == ST_SYSCALL || a->state == ST_SELF)
        return false; /* each running thread is shown with its own M */
    return memcmp(a->pcs, b->pcs, (size_t)a->nframes * sizeof a->pcs[0]) == 0;
}

/* ---- printing ---- */

static void put_duration(struct mn_out *o, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    int64_t ms = ns / 1000000;
    if (ms < 100 * 1000)
        mn_out_put(o, "%lld.%02lld s", (long long)(ms / 1000), (long long)(ms % 1000 / 10));
    else
        mn_out_put(o, "%lld min", (long long)(ms / 60000));
}

static void put_state(struct mn_out *o, const struct entry *e)
{
    switch (e->state) {
    case ST_RUNNING:
        if (e->mid < 0)
            mn_out_put(o, "running, between two kernel threads");
        else if (e->pid >= 0)
            mn_out_put(o, "running on M%d P%d", e->mid, e->pid);
        else
            mn_out_put(o, "running on M%d, which lost its P: blocked where mnrt does not see", e->mid);
        return;
    case ST_SELF:
        mn_out_put(o, "running, in mnrt_dump");
        return;
    case ST_SYSCALL:
        if (e->handed_off)
            mn_out_put(o, "system call on M%d, its P handed off", e->mid);
        else
            mn_out_put(o, "system call on M%d P%d", e->mid, e->pid);
        return;
    case ST_RUNNABLE:
        mn_out_put(o, "runnable");
        return;
    case ST_EXITING:
        mn_out_put(o, "exiting");
        return;
    case ST_WAITING:
        break;
    }
    char what[160];
    struct mn_dump_wait w = {e->reason, e->obj, e->num};
    int n = mn_dump_describe_wait ? mn_dump_describe_wait(&w, what, sizeof what) : -1;
    if (n < 0 && e->obj)
        snprintf(what, sizeof what, "%s %p", e->reason ? e->reason : "waiting", e->obj);
    else if (n < 0)
        snprintf(what, sizeof what, "%s", e->reason ? e->reason : "waiting");
    mn_out_put(o, "%s", what);
}

/* The CPU time of a group's threads (all of it), when it is accounted. */
static void put_cpu(struct mn_out *o, struct entry *all, int first)
{
    int64_t sum = 0;
    for (int i = first; i >= 0; i = all[i].next) {
        if (all[i].cpu < 0)
            return;
        sum += all[i].cpu;
    }
    mn_out_put(o, ", cpu ");
    if (sum < 10 * 1000 * 1000)
        mn_out_put(o, "%lld.%03lld ms", (long long)(sum / 1000000), (long long)(sum % 1000000 / 1000));
    else
        put_duration(o, sum);
    if (all[first].count > 1)
        mn_out_put(o, " in all");
}

/* The group's state: its first thread's, with the objects and the times
 * of all of them, and their CPU time. */
static void put_group_state(struct mn_out *o, struct entry *all, int first, int64_t now)
{
    const struct entry *e = &all[first];
    put_state(o, e);
    if (e->state != ST_WAITING) {
        put_cpu(o, all, first);
        return;
    }
    int others = 0;
    int64_t oldest = e->since, newest = e->since;
    for (int i = e->next; i >= 0; i = all[i].next) {
        if (all[i].obj != e->obj || all[i].num != e->num)
            others++;
        oldest = all[i].since < oldest ? all[i].since : oldest;
        newest = all[i].since > newest ? all[i].since : newest;
    }
    if (others)
        mn_out_put(o, " and %d others", others);
    mn_out_put(o, ", ");
    if ((now - newest) / 10000000 != (now - oldest) / 10000000) {
        put_duration(o, now - newest);
        mn_out_put(o, " to ");
    }
    put_duration(o, now - oldest);
    if (e->until >= 0 && e->count == 1) {
        mn_out_put(o, ", until +");
        put_duration(o, e->until - now);
    }
    put_cpu(o, all, first);
}

/* "3, 7-10, 12": the ids of a group, ranges merged, the first 20 */
static void put_ids(struct mn_out *o, struct entry *all, int first)
{
    int shown = 0;
    int64_t lo = -1, hi = -1;
    for (int i = first;; i = all[i].next) {
        if (i >= 0 && lo >= 0 && all[i].id == hi + 1) {
            hi = all[i].id;
            continue;
        }
        if (lo >= 0 && shown < 20) {
            mn_out_put(o, "%s%lld", shown ? ", " : "", (long long)lo);
            if (hi > lo)
                mn_out_put(o, "-%lld", (long long)hi);
        } else if (lo >= 0 && shown == 20) {
            mn_out_put(o, ", ...");
        }
        shown += lo >= 0;
        if (i < 0)
            break;
        lo = hi = all[i].id;
    }
}

static void put_names(struct mn_out *o, struct entry *all, int first)
{
    const char *names[3];
    int n = 0, more = 0;
    for (int i = first; i >= 0; i = all[i].next) {
        const char *nm = all[i].name;
        bool seen = !nm[0];
        for (int k = 0; k < n && !seen; k++)
            seen = strcmp(names[k], nm) == 0;
        if (seen)
            continue;
        if (n < 3)
            names[n++] = nm;
        else
            more++;
    }
    for (int k = 0; k < n; k++)
        mn_out_put(o, "%s\"%s\"", k ? ", " : " ", names[k]);
    if (more)
        mn_out_put(o, " and %d other names", more);
}

static void put_frame(struct mn_out *o, uintptr_t pc, bool exact)
{
    struct mn_sym s;
    mn_sym_lookup(exact ? pc : pc - 1, &s);
    if (s.func)
        mn_out_put(o, "%s+0x%lx (%s)", s.func, (unsigned long)(s.off + (exact ? 0 : 1)), s.object);
    else
        mn_out_put(o, "%s+0x%lx", s.object, (unsigned long)(s.object_off + (exact ? 0 : 1)));
}

static void put_group(struct mn_out *o, struct entry *all, int first, int64_t now)
{
    const struct entry *e = &all[first];
    if (e->count > 1) {
        mn_out_put(o, "%d threads ", e->count);
        put_ids(o, all, first);
    } else {
        mn_out_put(o, "thread %lld", (long long)e->id);
    }
    put_names(o, all, first);
    mn_out_put(o, " [");
    put_group_state(o, all, first, now);
    mn_out_put(o, "]:\n");
    for (int i = 0; i < e->nframes; i++) {
        mn_out_put(o, "    ");
        put_frame(o, e->pcs[i], i < 64 && (e->exact >> i & 1));
        mn_out_put(o, "\n");
    }
    if (e->why)
        mn_out_put(o, "    (%s)\n", e->why);
    else if (e->nframes == MAX_FRAMES)
        mn_out_put(o, "    ...\n");
    if (e->created_pc) {
        mn_out_put(o, "created by ");
        put_frame(o, e->created_pc, false);
        bool one = true;
        for (int i = e->next; i >= 0 && one; i = all[i].next)
            one = all[i].created_by == e->created_by;
        if (!one)
            mn_out_put(o, " in several threads\n");
        else if (e->created_by)
            mn_out_put(o, " in thread %lld\n", (long long)e->created_by);
        else
            mn_out_put(o, " in a thread that is not mnrt's\n");
    }
    mn_out_put(o, "\n");
}

/* ---- one dump ---- */

static uint32_t generation;

struct listing {
    struct entry *e;
    int n, max;
    uint32_t gen;
};

static bool list_one(mn_g *g, void *arg)
{
    struct listing *l = arg;
    if (g->dump_seen != l->gen) { /* else met again: reused while the list was walked */
        g->dump_seen = l->gen;
        l->e[l->n++].g = g;
    }
    return l->n < l->max;
}

/* Lists the Gs into e, newest first (allg's order). */
static int list_gs(struct entry *e, int max)
{
    struct listing l = {e, 0, max, ++generation};
    mn_g_walk(list_one, &l, 4L * max);
    return l.n;
}

static int count_ms(void)
{
    int n = 0;
    for (mn_m *m = mn_sched.allm; m && n < 100000; m = m->allnext)
        n++;
    return n;
}

static void dump(struct mn_out *o, unsigned flags, mn_g *self, const struct here *here)
{
    int64_t now = mn_nanotime();
    int64_t live = atomic_load(&mn_sched.glive);
    int max = live + 1024 < MAX_GS ? (int)live + 1024 : MAX_GS;
    size_t entries = ((size_t)max * sizeof(struct entry) + 4095) & ~(size_t)4095;
    size_t slots = 1;
    while (slots < 2 * (size_t)max)
        slots <<= 1;
    size_t table = (slots * sizeof(int) + 4095) & ~(size_t)4095;
    size_t size = entries + table + STACK_COPY + MN_UNWIND_CACHE;
    long mem = mn_raw_syscall(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    mn_out_put(o, "mnrt: thread dump of pid %d (mnrt " MNRT_VERSION ") after ",
        (int)mn_raw_syscall(SYS_getpid));
    put_duration(o, now - mn_sched.start_ns);
    mn_out_put(o, ": %lld threads, %d procs, %d kernel threads\n", (long long)live,
        atomic_load(&mn_sched.procs), count_ms() + (mn_sysmon_running() ? 1 : 0));
    if (mem < 0 && mem > -4096) {
        mn_out_put(o, "mnrt: no memory for a dump\n" MN_DUMP_END);
        return;
    }
    const char *no_unwind = mn_unwind_unavailable();
    if (no_unwind)
        mn_out_put(o, "mnrt: no backtraces: %s\n", no_unwind);
    mn_out_put(o, "\n");
    mn_out_flush(o);

    struct entry *all = (struct entry *)mem;
    int *slot = (int *)(mem + (long)entries);
    char *buf = (char *)(mem + (long)entries + (long)table);
    mn_unwind_begin(buf + STACK_COPY);
    mn_sym_begin();
    mn_sym_mnrt_code(&mnrt_lo, &mnrt_hi);
    int n = list_gs(all, max);
    memset(slot, 0xff, slots * sizeof(int));
    int first_group = -1, last_group = -1;
    for (int i = n - 1; i >= 0; i--) { /* oldest first */
        struct entry *e = &all[i];
        look(e, self, here, buf);
        trim(e, flags);
        e->next = -1;
        size_t h = (size_t)key_hash(e) & (slots - 1);
        while (slot[h] >= 0 && !same_key(&all[slot[h]], e))
            h = (h + 1) & (slots - 1);
        if (slot[h] >= 0) { /* one more of a group */
            struct entry *head = &all[slot[h]];
            head->count++;
            all[head->tail].next = i;
            head->tail = i;
            continue;
        }
        slot[h] = i;
        e->count = 1;
        e->tail = i;
        e->next_group = -1;
        if (last_group >= 0)
            all[last_group].next_group = i;
        else
            first_group = i;
        last_group = i;
    }
    for (int gi = first_group; gi >= 0; gi = all[gi].next_group)
        put_group(o, all, gi, now);
    mn_out_put(o, MN_DUMP_END);
    mn_out_flush(o);
    mn_sym_end();
    mn_unwind_end();
    mn_raw_syscall(SYS_munmap, mem, size);
}

/* One dump at a time: the unwinder, the symbolizer and the ask are
 * global. Waits for a dump under way (never on the thread that makes
 * it: signals are blocked there meanwhile). A lock of the runtime's, a
 * leaf (core/lockrank.h): a dump takes no other but by a try. */
static _Atomic bool dump_busy;

static void take_turn(void)
{
    mn_lockrank_acquire(&dump_busy, MN_RANK_DUMP, false);
    for (int i = 0; atomic_exchange(&dump_busy, true); i++) {
        struct timespec ts = {0, 1000 * 1000};
        mn_raw_syscall(SYS_nanosleep, &ts, NULL);
    }
}

static void end_turn(void)
{
    atomic_store(&dump_busy, false);
    mn_lockrank_release(&dump_busy, MN_RANK_DUMP);
}

static int dump_to(int fd, bool sock, unsigned flags, mn_g *self, const struct here *here)
{
    struct mn_out o = {.fd = fd, .sock = sock};
    if (!here)
        mn_unwind_load(); /* (not in a handler: unwind.h) */
    mn_g_main_stack_find(); /* (no malloc: also in a handler) */
    take_turn();
    dump(&o, flags, self, here);
    mn_out_flush(&o);
    end_turn();
    return o.err;
}

int mn_dump_write(int fd, unsigned flags, mn_g *self)
{
    return dump_to(fd, false, flags, self, NULL);
}

/* ---- requests ---- */

enum { REQ_FREE, REQ_FILLING, REQ_READY };
enum { KIND_TOOL, KIND_QUIT };

static struct req {
    _Atomic uint32_t state;
    int kind;
    pid_t pid;          /* the tool's */
    uint32_t cookie;
    unsigned flags;
} reqs[8];
static _Atomic int pending;
static _Atomic bool quitting;
static _Atomic pid_t quit_pid; /* the process that set quitting (not a native fork child) */

/* The tool's socket: "\0mnrt-dump-PID-COOKIE". */
static int connect_tool(pid_t pid, uint32_t cookie)
{
    /* high: the program's closes must not end it (core/lowfd.h) */
    int fd = mn_lowfd_make_high(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, MN_DUMP_SOCKET, (int)pid, cookie);
    struct timeval tv = {SEND_TIMEOUT_S, 0};
    mn_raw_syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (mn_raw_syscall(SYS_connect, fd, &a, offsetof(struct sockaddr_un, sun_path) + 1 + n) != 0) {
        mn_raw_syscall(SYS_close, fd);
        return -1;
    }
    return fd;
}

static _Noreturn void die_by_sigquit(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    mn_real.sigaction(SIGQUIT, &dfl, NULL);
    uint64_t bit = 1ull << (SIGQUIT - 1);
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &bit, NULL, sizeof bit);
    pid_t pid = (pid_t)mn_raw_syscall(SYS_getpid);
    for (;;) {
        mn_raw_syscall(SYS_tgkill, pid, mn_raw_syscall(SYS_gettid), SIGQUIT);
        struct timespec ts = {1, 0};
        mn_raw_syscall(SYS_nanosleep, &ts, NULL);
    }
}

void mn_dump_await_death(void)
{
    if (!atomic_load(&quitting) || atomic_load(&quit_pid) != mn_raw_syscall(SYS_getpid))
        return;
    for (int s = 0; s < AWAIT_DEATH_S; s++) {
        struct timespec ts = {1, 0};
        mn_raw_syscall(SYS_nanosleep, &ts, NULL);
    }
    die_by_sigquit(); /* the dump did not end it: stderr blocked, its request dropped */
}

void mn_dump_fork_child(void)
{
    if (atomic_load(&dump_busy)) { /* left half done: what it holds is released */
        mn_sym_end();
        mn_unwind_end();
        atomic_store(&dump_busy, false);
    }
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++)
        atomic_store(&reqs[i].state, REQ_FREE);
    atomic_store(&pending, 0);
    atomic_store(&quitting, false);
}

static void carry_out(const struct req *r, const struct here *here)
{
    if (r->kind == KIND_QUIT) {
        dump_to(2, false, r->flags, NULL, here);
        mn_xtrace_write();
        die_by_sigquit();
    }
    int fd = connect_tool(r->pid, r->cookie);
    if (fd < 0)
        return; /* the tool gave up */
    if (r->flags & MN_DUMP_STATS)
        mn_stats_write(fd, true);
    else
        dump_to(fd, true, r->flags, NULL, here);
    mn_raw_syscall(SYS_close, fd);
}

/* No sysmon yet (the main G is the only one): the handler makes the dump
 * itself, with every signal blocked, and as a thread that is not a G, so
 * that libunwind's calls of mnrt's names act as glibc's. */
static void carry_out_here(const struct req *r, const ucontext_t *uc)
{
    uint64_t all = ~0ull, old;
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
    struct here here = {mn_tls_g, uc};
    mn_tls_g = NULL;
    carry_out(r, &here);
    mn_tls_g = here.g;
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
}

static void request(int kind, pid_t pid, uint32_t cookie, unsigned flags, const ucontext_t *uc)
{
    struct req r = {.kind = kind, .pid = pid, .cookie = cookie, .flags = flags};
    if (!mn_sysmon_running()) {
        carry_out_here(&r, uc);
        return;
    }
    for (int i = 0; i < (int)(sizeof reqs / sizeof reqs[0]); i++) {
        uint32_t free = REQ_FREE;
        if (!atomic_compare_exchange_strong(&reqs[i].state, &free, REQ_FILLING))
            continue;
        reqs[i].kind = kind;
        reqs[i].pid = pid;
        reqs[i].cookie = cookie;
        reqs[i].flags = flags;
        atomic_store(&reqs[i].state, REQ_READY);
        atomic_fetch_add(&pending, 1);
        mn_monitor_poke();
        return;
    }
    /* eight requests under way: this one is dropped (the tool times out) */
}

bool mn_dump_pending(void)
{
    return atomic_load_explicit(&pending, memory_order_relaxed) > 0;
}

void mn_dump_serve(void)
{
    if (!mn_dump_pending())
        return;
    for (int i = 0; i < (int)(sizeof reqs / sizeof reqs[0]); i++) {
        if (atomic_load(&reqs[i].state) != REQ_READY)
            continue;
        struct req r = {.kind = reqs[i].kind, .pid = reqs[i].pid, .cookie = reqs[i].cookie,
                        .flags = reqs[i].flags};
        atomic_store(&reqs[i].state, REQ_FREE);
        atomic_fetch_sub(&pending, 1);
        carry_out(&r, NULL);
    }
}

/* Whether the process runs under M:N (not the child of a fork that runs
 * natively, nor a vfork child that has not exec'ed yet). */
static bool active(void)
{
    return !mn_sched.forked_child && !mn_sig_foreign_process();
}

bool mn_dump_on_sigcancel(siginfo_t *info, void *ucv)
{
    if (info->si_code != SI_QUEUE)
        return false;
    if (info->si_errno == MN_DUMP_MARK) {
        answer_ask(info, ucv);
        return true;
    }
    uint64_t v = (uint64_t)(uintptr_t)info->si_value.sival_ptr;
    if (v >> 48 != MN_DUMP_MAGIC)
        return false;
    if (active())
        request(KIND_TOOL, info->si_pid, (uint32_t)v, (unsigned)(v >> 32) & 0xffff, ucv);
    return true;
}

void mn_dump_on_sigquit(int sig, siginfo_t *info, void *ucv)
{
    (void)sig, (void)info;
    if (!active())
        die_by_sigquit();
    atomic_store(&quit_pid, (pid_t)mn_raw_syscall(SYS_getpid));
    if (atomic_exchange(&quitting, true))
        return; /* one dump, then death */
    int saved = errno;
    request(KIND_QUIT, 0, 0, 0, ucv);
    errno = saved;
}
