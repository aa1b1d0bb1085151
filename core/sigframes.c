/* The program signal handlers running on a G: see sigframes.h. */
#include "core/sigframes.h"

#include "core/altstack.h"
#include "core/lock.h"
#include "core/waiter.h"

/* Whether something at `addr` belongs to code that a jump landing at
 * stack pointer sp (0: unknown) leaves (sigframes.h). */
static bool left_by_jump(const mn_m *m, uintptr_t addr, uintptr_t sp)
{
    if (!sp)
        return true;
    bool addr_alt = mn_altstack_holds(m, addr), sp_alt = mn_altstack_holds(m, sp);
    return addr_alt != sp_alt ? addr_alt : addr < sp;
}

void mn_sig_handler_enter(mn_g *g, struct mn_sig_entry *e)
{
    struct mn_sig_frames *f = &g->sig_frames;
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

void mn_sig_handler_exit(mn_g *g, const struct mn_sig_entry *e)
{
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

int mn_sig_handlers_left_by_jump(const mn_g *g, uintptr_t sp)
{
    const struct mn_sig_frames *f = &g->sig_frames;
    int n = f->unplaced, i = f->n - 1;
    for (; i >= 0 && left_by_jump(g->m, f->at[i], sp); i--)
        n++;
    return n;
}

void mn_sig_leave_handlers(mn_g *g, int n, uintptr_t sp)
{
    struct mn_sig_frames *f = &g->sig_frames;
    mn_lock_acquire(&g->siglock);
    while (g->wait_intr && left_by_jump(g->m, (uintptr_t)g->wait_intr, sp))
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
