/* Finished Gs kept for reuse: see gcache.h. */
#include "core/gcache.h"

#include "core/gblock.h"

/* Gs that keep their stack's pages whatever the peak says */
#define HOT 16
/* Gs looked at from the front for one whose memory fits a request */
#define FIT_SCAN 8

static struct {
    mn_g *head, *tail;           /* under sched.lock */
    _Atomic int n;               /* written under sched.lock */
    uint32_t look;               /* sysmon's looks so far (written under sched.lock) */
    _Atomic bool all_released;   /* an idle look gave back every stack, none came since */
    _Atomic int64_t peak;        /* most Gs alive at once since the last look */
    /* sysmon's alone: */
    int64_t estimate;            /* the recent peak */
    int64_t created;             /* mn_sched.gcreated at the last look */
} C;

static void unlink_g(mn_g *g)
{
    if (g->free_prev)
        g->free_prev->schedlink = g->schedlink;
    else
        C.head = g->schedlink;
    if (g->schedlink)
        g->schedlink->free_prev = g->free_prev;
    else
        C.tail = g->free_prev;
    atomic_store_explicit(&C.n, C.n - 1, memory_order_relaxed);
}

static void push_front(mn_g *g)
{
    g->free_prev = NULL;
    g->schedlink = C.head;
    if (C.head)
        C.head->free_prev = g;
    else
        C.tail = g;
    C.head = g;
    atomic_store_explicit(&C.n, C.n + 1, memory_order_relaxed);
}

/* Appends a chain (linked by schedlink) at the back. */
static void append(mn_g *chain)
{
    for (mn_g *g = chain, *next; g; g = next) {
        next = g->schedlink;
        g->schedlink = NULL;
        g->free_prev = C.tail;
        if (C.tail)
            C.tail->schedlink = g;
        else
            C.head = g;
        C.tail = g;
        atomic_store_explicit(&C.n, C.n + 1, memory_order_relaxed);
    }
}

mn_g *mn_gcache_get(size_t stack_size, size_t guard)
{
    mn_lock_acquire(&mn_sched.lock);
    mn_g *g = C.head;
    for (int i = 0; g && i < FIT_SCAN && !mn_gblock_fits(g, stack_size, guard); i++)
        g = g->schedlink;
    if (g && !mn_gblock_fits(g, stack_size, guard))
        g = NULL;
    if (g)
        unlink_g(g);
    mn_lock_release(&mn_sched.lock);
    return g;
}

void mn_gcache_put(mn_g *g)
{
    mn_lock_acquire(&mn_sched.lock);
    g->stack_released = false;
    g->free_look = C.look;
    push_front(g);
    atomic_store_explicit(&C.all_released, false, memory_order_relaxed);
    mn_lock_release(&mn_sched.lock);
}

void mn_gcache_note_live(int64_t live)
{
    int64_t peak = atomic_load_explicit(&C.peak, memory_order_relaxed);
    while (live > peak && !atomic_compare_exchange_weak(&C.peak, &peak, live))
        ;
}

int mn_gcache_count(void)
{
    return atomic_load_explicit(&C.n, memory_order_relaxed);
}

bool mn_gcache_holds_more(void)
{
    return mn_gcache_count() > HOT || !atomic_load_explicit(&C.all_released,
                                                            memory_order_relaxed);
}

/* How many Gs the list may keep now (see gcache.h); *idle: no G was made
 * since the last look. */
static int64_t bound(bool *idle)
{
    int64_t live = atomic_load(&mn_sched.glive);
    int64_t created = atomic_load(&mn_sched.gcreated);
    int64_t peak = atomic_exchange(&C.peak, live);
    *idle = created == C.created;
    C.created = created;
    if (*idle)
        C.estimate = live;
    else
        C.estimate = peak > C.estimate / 2 ? peak : C.estimate / 2;
    int64_t want = C.estimate - live;
    return want > HOT ? want : HOT;
}

mn_g *mn_gcache_trim(void)
{
    bool idle;
    int64_t keep = bound(&idle);
    mn_g *drop = NULL, *cold = NULL;
    mn_lock_acquire(&mn_sched.lock);
    C.look++;
    while (C.n > keep) {
        mn_g *g = C.tail;
        unlink_g(g);
        g->schedlink = drop;
        drop = g;
    }
    /* the Gs whose stack still has its pages: all on an idle look, else
     * those past the HOT first that were here at the last look already;
     * they end where the given-back tail begins */
    mn_g *g = C.head;
    for (int i = 0; g && !idle && (i < HOT || g->free_look + 1 >= C.look); i++)
        g = g->schedlink;
    while (g && !g->stack_released) {
        mn_g *next = g->schedlink;
        unlink_g(g);
        g->schedlink = cold;
        cold = g;
        g = next;
    }
    mn_lock_release(&mn_sched.lock);
    for (mn_g *c = cold; c; c = c->schedlink) {
        mn_gblock_release_stack(c);
        c->stack_released = true;
    }
    mn_lock_acquire(&mn_sched.lock);
    append(cold); /* given back: after the tail's, which are too */
    if (idle && (!C.head || C.head->stack_released)) /* the newest: all are */
        atomic_store_explicit(&C.all_released, true, memory_order_relaxed);
    mn_lock_release(&mn_sched.lock);
    return drop;
}
