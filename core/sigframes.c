/* The program signal handlers running on a G: see sigframes.h. */
#include "core/sigframes.h"

#include "core/altstack.h"
#include "core/lock.h"
#include "core/waiter.h"

/* A handler's entry, in its bracket's frame (its address is where that
 * frame lies); read only by the bracket's own end. */
struct entry {
    mn_g *g;     /* NULL: not bracketed */
    bool placed; /* it holds a place */
    bool pinned; /* it keeps the G on its M */
};

static void enter(mn_g *g, struct entry *e)
{
    struct mn_sig_frames *f = &g->sig_frames;
    e->g = g;
    e->pinned = mn_altstack_running_on(g->m) && mn_lock_thread(false);
    e->placed = f->n < MN_SIG_FRAMES;
    if (!e->placed) {
        f->unplaced++;
        f->unplaced_pins += e->pinned;
        return;
    }
    f->at[f->n] = (uintptr_t)e;
    f->pinned = (uint8_t)((f->pinned & ~(1u << f->n)) | (unsigned)e->pinned << f->n);
    f->n++;
}

/* Removes place i, keeping the order of those above it. */
static void take_place(struct mn_sig_frames *f, int i)
{
    bool pinned = f->pinned >> i & 1;
    unsigned below = f->pinned & ((1u << i) - 1), above = f->pinned >> (i + 1);
    for (int j = i; j + 1 < f->n; j++)
        f->at[j] = f->at[j + 1];
    f->pinned = (uint8_t)(below | above << i);
    f->n--;
    if (pinned)
        mn_unlock_thread(false);
}

/* The bracket's end, by return or by unwinding (its cleanup). */
static void leave(struct entry *e)
{
    mn_g *g = e->g;
    if (!g)
        return;
    struct mn_sig_frames *f = &g->sig_frames;
    if (!e->placed) {
        if (!f->unplaced)
            return; /* a jump counted it left */
        f->unplaced--;
        if (e->pinned && f->unplaced_pins) {
            f->unplaced_pins--;
            mn_unlock_thread(false);
        }
        return;
    }
    for (int i = f->n - 1; i >= 0; i--) {
        if (f->at[i] == (uintptr_t)e) {
            take_place(f, i);
            return;
        }
    } /* a jump that could not tell where it landed counted it left */
}

void mn_sig_call_handler(mn_g *g, const struct sigaction *a, int sig, siginfo_t *info, void *uc)
{
    struct entry e __attribute__((cleanup(leave))) = {.g = NULL};
    if (g)
        enter(g, &e);
    if (a->sa_flags & SA_SIGINFO)
        a->sa_sigaction(sig, info, uc);
    else
        a->sa_handler(sig);
}

enum region { ON_G_STACK, ON_ALTSTACK, ELSEWHERE };

static enum region region_of(const mn_g *g, uintptr_t addr)
{
    if (mn_altstack_holds(g->m, addr))
        return ON_ALTSTACK;
    uintptr_t lo = (uintptr_t)g->stack.lo;
    return addr - lo <= g->stack.size ? ON_G_STACK : ELSEWHERE;
}

/* Whether something at `addr` belongs to code that a jump made at stack
 * pointer `from`, landing at `to` (0: unknown), leaves (sigframes.h). */
static bool left_by_jump(const mn_g *g, uintptr_t addr, uintptr_t to, uintptr_t from)
{
    if (!to)
        return true;
    enum region at = region_of(g, addr), dest = region_of(g, to);
    if (at == dest)
        return addr < to;
    if (at == ON_ALTSTACK && dest == ELSEWHERE) /* left by a jump made on that stack */
        return region_of(g, from) == ON_ALTSTACK;
    return at != ON_G_STACK && dest == ON_G_STACK;
}

int mn_sig_handlers_left_by_jump(mn_g *g, uintptr_t to, uintptr_t from)
{
    const struct mn_sig_frames *f = &g->sig_frames;
    if (g->is_main)
        mn_g_main_stack_find(); /* (once) */
    int n = 0;
    for (int i = f->n - 1; i >= 0 && left_by_jump(g, f->at[i], to, from); i--)
        n++;
    return n || !f->n ? n + f->unplaced : 0;
}

void mn_sig_handlers_end(mn_g *g)
{
    mn_sig_leave_handlers(g, g->sig_frames.n + g->sig_frames.unplaced, 0, 0);
}

void mn_sig_leave_handlers(mn_g *g, int n, uintptr_t to, uintptr_t from)
{
    struct mn_sig_frames *f = &g->sig_frames;
    mn_lock_acquire(&g->siglock);
    while (g->wait_intr && left_by_jump(g, (uintptr_t)g->wait_intr, to, from))
        g->wait_intr = g->wait_intr->intr_outer;
    mn_lock_release(&g->siglock);
    for (; n > 0 && f->unplaced; n--, f->unplaced--) {
        if (f->unplaced_pins) {
            f->unplaced_pins--;
            mn_unlock_thread(false);
        }
    }
    for (; n > 0 && f->n; n--)
        take_place(f, f->n - 1);
}
