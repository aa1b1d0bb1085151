/* Watched waits: see watch.h. */
#include "core/watch.h"

#include "core/futex.h"
#include "core/lock.h"
#include "core/runtime.h"
#include "core/waitq.h"

#include <errno.h>
#include <limits.h>

#define SLOTS 64

static struct slot {
    _Atomic uint32_t *word;
    uint32_t val;
    int count;
} slots[SLOTS];
static mn_lock watch_lock = MN_LOCK_INIT(WATCH);
static _Atomic int watched; /* slots with a count */
static _Atomic int64_t waits;

/* The word's slot, with one more waiter; NULL if the table is full. */
static struct slot *watch(_Atomic uint32_t *word, uint32_t val)
{
    struct slot *s = NULL, *free_slot = NULL;
    mn_lock_acquire(&watch_lock);
    for (int i = 0; i < SLOTS && !s; i++) {
        if (slots[i].count && slots[i].word == word && slots[i].val == val)
            s = &slots[i];
        else if (!slots[i].count && !free_slot)
            free_slot = &slots[i];
    }
    bool first = false;
    if (!s && free_slot) {
        s = free_slot;
        s->word = word;
        s->val = val;
        first = atomic_fetch_add(&watched, 1) == 0;
    }
    if (s)
        s->count++;
    mn_lock_release(&watch_lock);
    /* sysmon looks from now on: it may be in its long sleep, or not made
     * yet (a main G alone, waiting for a thread glibc made, which ended
     * glibc's single-threaded mode already) */
    if (first) {
        mn_monitor_ensure();
        mn_monitor_poke();
    }
    return s;
}

static void unwatch(struct slot *s)
{
    mn_lock_acquire(&watch_lock);
    if (--s->count == 0)
        atomic_fetch_sub(&watched, 1);
    mn_lock_release(&watch_lock);
}

int mn_watch_wait(_Atomic uint32_t *word, uint32_t val, const char *reason)
{
    atomic_fetch_add_explicit(&waits, 1, memory_order_relaxed);
    struct slot *s = watch(word, val);
    /* a full table: the G looks again itself, as sysmon would */
    int64_t deadline = s ? -1 : mn_nanotime() + MN_WATCH_NS;
    int r = mn_ufutex_wait(word, val, deadline, reason);
    if (s)
        unwatch(s);
    return r == ETIMEDOUT ? 0 : r;
}

bool mn_watch_active(void)
{
    return atomic_load(&watched) != 0;
}

void mn_watch_poll(void)
{
    if (atomic_load(&watched) == 0)
        return;
    _Atomic uint32_t *changed[SLOTS];
    int n = 0;
    mn_lock_acquire(&watch_lock);
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].count && atomic_load(slots[i].word) != slots[i].val)
            changed[n++] = slots[i].word;
    mn_lock_release(&watch_lock);
    for (int i = 0; i < n; i++)
        mn_ufutex_wake(changed[i], 1);
}

int64_t mn_watch_waits(void)
{
    return atomic_load_explicit(&waits, memory_order_relaxed);
}

void mn_watch_fork_child(void)
{
    for (int i = 0; i < SLOTS; i++)
        slots[i] = (struct slot){0};
    atomic_store(&watched, 0);
    watch_lock = (mn_lock)MN_LOCK_INIT(WATCH);
}
