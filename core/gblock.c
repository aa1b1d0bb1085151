/* The memory of a G: see gblock.h. */
#include "core/gblock.h"

#include "compat/tcache.h"
#include "compat/tcb.h"
#include "core/mem.h"
#include "core/signals.h"

#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

/* The dtv: its first entries (what set-up wrote, length, generation, 5
 * modules: compat/dtv.h) end the page of the TCB; the rest fill the page
 * above it. */
#define DTV_ENTRY 16
#define DTV_HEAD (8 * DTV_ENTRY)

/* Offsets from the end of the TCB's page ("top", page aligned), for a G
 * with no stack: computed once (the TCB's extent is fixed at boot). */
static struct {
    ptrdiff_t dtv, g, tp, stack_top;
    size_t dtv_slots, above_top;
} L;

static ptrdiff_t align_down(ptrdiff_t x, size_t a)
{
    return x & -(ptrdiff_t)a;
}

static void layout(void)
{
    if (L.dtv_slots)
        return;
    size_t below, above, align;
    mn_tcb_extent(&below, &above, &align);
    size_t page = mn_page_size();
    L.dtv = -DTV_HEAD;
    L.g = align_down(L.dtv - (ptrdiff_t)sizeof(mn_g), 64);
    L.tp = align_down(L.g - (ptrdiff_t)above, align);
    L.stack_top = align_down(L.tp - (ptrdiff_t)below, 16);
    L.above_top = page;
    L.dtv_slots = (DTV_HEAD + page) / DTV_ENTRY - 3;
}

/* glibc malloc words of freed Gs whose tcache could not be freed (its
 * layout unknown): the next new Gs take them. Under sched.lock (which
 * fork holds across, so the child finds the pool whole); nspares is read
 * without it to skip the lock while the pool is empty, as it always is
 * where the layout is known. */
struct spare {
    uintptr_t w[MN_TCB_MALLOC_WORDS];
};
static struct spare *spares;
static _Atomic size_t nspares;
static size_t capspares;

static void spare_put(const uintptr_t *w)
{
    mn_lock_acquire(&mn_sched.lock);
    size_t n = atomic_load(&nspares);
    if (n == capspares) {
        size_t cap = capspares ? capspares * 2 : 64;
        struct spare *more = mn_mem_realloc(spares, capspares * sizeof *spares,
                                            cap * sizeof *spares);
        if (!more) {
            mn_lock_release(&mn_sched.lock);
            return; /* out of memory: that cache stays behind */
        }
        spares = more;
        capspares = cap;
    }
    for (int i = 0; i < MN_TCB_MALLOC_WORDS; i++)
        spares[n].w[i] = w[i];
    atomic_store(&nspares, n + 1);
    mn_lock_release(&mn_sched.lock);
}

static bool spare_get(uintptr_t *w)
{
    if (!atomic_load_explicit(&nspares, memory_order_relaxed))
        return false;
    mn_lock_acquire(&mn_sched.lock);
    size_t n = atomic_load(&nspares);
    if (n) {
        for (int i = 0; i < MN_TCB_MALLOC_WORDS; i++)
            w[i] = spares[n - 1].w[i];
        atomic_store(&nspares, n - 1);
    }
    mn_lock_release(&mn_sched.lock);
    return n > 0;
}

mn_g *mn_gblock_new(size_t stack_size, size_t guard)
{
    layout();
    size_t page = mn_page_size();
    ptrdiff_t lo = L.stack_top - (ptrdiff_t)stack_size;
    ptrdiff_t base = align_down(lo, page) - (ptrdiff_t)guard;
    size_t len = (size_t)-base + L.above_top;
    char *mem = mn_stack_take_region(len, guard);
    if (!mem)
        return NULL;
    char *top = mem - base;
    /* The pages of the stack's top, the static TLS, the TCB and the dtv's
     * head are first touched by a write: glibc reads some before it writes
     * them, and a read maps the shared zero page, which the write then
     * replaces with a flush of every CPU's TLB (an IPI to each CPU running
     * the process). 10,000 threads made one after the other took 220 ms
     * with that flush, 90 ms without (tools/bench sleep_fanout_10ms). */
    for (char *pg = top + align_down(L.stack_top, page); pg < top; pg += page)
        *(volatile char *)pg = 0;
    mn_g *g = (mn_g *)(top + L.g);
    g->tcb = mn_tcb_create_at(top + L.tp, top + L.dtv, L.dtv_slots);
    if (!g->tcb) {
        munmap(mem, len);
        return NULL;
    }
    uintptr_t w[MN_TCB_MALLOC_WORDS];
    if (spare_get(w))
        mn_tcb_malloc_give(g->tcb, w);
    g->mem = mem;
    g->mem_len = len;
    if (stack_size)
        g->stack = (struct mn_stack){.lo = top + lo, .size = stack_size, .guard = guard,
                                     .owned = true};
    return g;
}

bool mn_gblock_fits(const mn_g *g, size_t stack_size, size_t guard)
{
    if (!stack_size)
        return !g->stack.owned;
    return g->stack.owned && g->stack.size == stack_size && g->stack.guard == guard;
}

void mn_gblock_release_stack(mn_g *g)
{
    if (!g->stack.owned)
        return;
    size_t page = mn_page_size();
    uintptr_t from = (uintptr_t)g->stack.lo & ~(page - 1);
    uintptr_t to = ((uintptr_t)g->stack.lo + g->stack.size) & ~(page - 1);
    if (to > from)
        madvise((void *)from, to - from, MADV_DONTNEED);
}

void mn_gblock_free(mn_g *g)
{
    if (!mn_tcache_release(g->tcb)) {
        uintptr_t w[MN_TCB_MALLOC_WORDS];
        if (mn_tcb_malloc_take(g->tcb, w))
            spare_put(w);
    }
    mn_sig_g_free(g);
    mn_mem_free(g->scratch, g->scratch_size);
    munmap(g->mem, g->mem_len);
}
