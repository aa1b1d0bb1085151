/* The lock-rank checks of a -Dlockrank=true build: see lockrank.h. */
#include "core/lock.h"

#include "compat/log.h"

#include <stdint.h>

static const struct {
    const char *name;
    int kind;
} ranks[] = {
    [MN_RANK_NONE] = {"a lock without a rank", 0},
#define MN_RANK_ENTRY(id, name, kind) [MN_RANK_##id] = {name, kind},
    MN_LOCK_RANKS(MN_RANK_ENTRY)
#undef MN_RANK_ENTRY
};

/* The list of a thread that is no M (sysmon, foreign threads). */
static __thread struct mn_lockrank_held own;

static struct mn_lockrank_held *held_here(void)
{
    struct mn_held *m = mn_tls_held;
    return m ? &m->ranks : &own;
}

/* Whether a thread holding `held` (a lock of rank hr) may acquire lock
 * of rank r. */
static bool in_order(enum mn_lockrank hr, const void *held, enum mn_lockrank r, const void *lock)
{
    if (ranks[hr].kind & MN_RANK_LEAF)
        return false;
    if (hr == r)
        return (ranks[r].kind & MN_RANK_MULTI) && (uintptr_t)held < (uintptr_t)lock;
    return hr < r;
}

void mn_lockrank_acquire(const void *lock, enum mn_lockrank rank, bool try_only)
{
    if (rank == MN_RANK_NONE)
        mn_fatal("lock order: acquiring the lock at %p, which has no rank (core/lockrank.h)",
                 lock);
    struct mn_lockrank_held *h = held_here();
    int n = h->n;
    for (int i = n - 1; i >= 0 && !try_only; i--) {
        if (h->e[i].lock == lock)
            mn_fatal("lock order: acquiring %s (rank %d) while holding it", ranks[rank].name,
                     (int)rank);
        if (!in_order(h->e[i].rank, h->e[i].lock, rank, lock))
            mn_fatal("lock order: acquiring %s (rank %d) while holding %s (rank %d)",
                     ranks[rank].name, (int)rank, ranks[h->e[i].rank].name, (int)h->e[i].rank);
    }
    if (n == MN_LOCKRANK_DEPTH)
        mn_fatal("lock order: acquiring %s (rank %d) while holding %d locks", ranks[rank].name,
                 (int)rank, n);
    /* written before the length that covers it and again after: a signal
     * handler that ran in between pushed and popped over it */
    h->e[n].lock = lock;
    h->e[n].rank = rank;
    atomic_signal_fence(memory_order_seq_cst);
    h->n = n + 1;
    atomic_signal_fence(memory_order_seq_cst);
    h->e[n].lock = lock;
    h->e[n].rank = rank;
}

void mn_lockrank_release(const void *lock, enum mn_lockrank rank)
{
    struct mn_lockrank_held *h = held_here();
    int n = h->n, i = n - 1;
    while (i >= 0 && h->e[i].lock != lock)
        i--;
    if (i < 0)
        mn_fatal("lock order: releasing %s (rank %d), which this %s does not hold",
                 ranks[rank].name, (int)rank, mn_tls_held ? "M" : "thread");
    for (; i < n - 1; i++) /* released out of order: the later ones move down */
        h->e[i] = h->e[i + 1];
    atomic_signal_fence(memory_order_seq_cst);
    h->n = n - 1;
}

void mn_lockrank_switch(long long g, const char *event, int m)
{
    struct mn_lockrank_held *h = held_here();
    if (h->n > 0)
        mn_fatal("lock order: G %lld %s M %d while holding %s (rank %d)", g, event, m,
                 ranks[h->e[h->n - 1].rank].name, (int)h->e[h->n - 1].rank);
}
