/* Address-keyed wait queues: see waitq.h. */
#include "core/waitq.h"

#include "core/lock.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>

#define NBUCKETS 1024

struct bucket {
    mn_lock lock;
    struct mn_waiter *heads; /* first waiter of each address */
} __attribute__((aligned(64)));

static struct bucket table[NBUCKETS] = {[0 ... NBUCKETS - 1] = {.lock = MN_LOCK_INIT(WAITQ)}};

static struct bucket *bucket_of(const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    a ^= a >> 17;
    a *= 0x9e3779b97f4a7c15ull;
    return &table[(a >> 32) % NBUCKETS];
}

/* The first waiter on addr and the link that points at it. */
static struct mn_waiter *find_head(struct bucket *b, const void *addr, struct mn_waiter ***link)
{
    struct mn_waiter **l = &b->heads;
    while (*l && (*l)->addr != addr)
        l = &(*l)->bnext;
    *link = l;
    return *l;
}

static void append(struct bucket *b, struct mn_waiter *w)
{
    struct mn_waiter **link;
    struct mn_waiter *head = find_head(b, w->addr, &link);
    w->next = NULL;
    w->queued = true;
    if (!head) {
        w->prev = NULL;
        w->tail = w;
        w->woken_ahead = false;
        w->bnext = NULL;
        *link = w;
        return;
    }
    w->prev = head->tail;
    head->tail->next = w;
    head->tail = w;
}

/* Unlinks w (queued on its addr in b). */
static void unlink_waiter(struct bucket *b, struct mn_waiter *w)
{
    struct mn_waiter **link;
    struct mn_waiter *head = find_head(b, w->addr, &link);
    w->queued = false;
    if (w == head) {
        struct mn_waiter *next = w->next;
        if (next) {
            next->prev = NULL;
            next->tail = w->tail;
            next->woken_ahead = w->woken_ahead;
            next->bnext = w->bnext;
            *link = next;
        } else {
            *link = w->bnext;
        }
        return;
    }
    w->prev->next = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        head->tail = w->prev;
}

static bool cancel_queued(struct mn_waiter *w)
{
    struct bucket *b;
    for (;;) {
        /* a requeue may move w to another address meanwhile: its addr is
         * stable once we hold the lock of the bucket it maps to */
        const void *addr = __atomic_load_n(&w->addr, __ATOMIC_ACQUIRE);
        b = bucket_of(addr);
        mn_lock_acquire(&b->lock);
        if (w->addr == addr)
            break;
        mn_lock_release(&b->lock);
    }
    bool was = w->queued;
    if (was)
        unlink_waiter(b, w);
    mn_lock_release(&b->lock);
    return was;
}

bool mn_waitq_enqueue(struct mn_waiter *w, const void *addr, bool (*check)(void *), void *arg)
{
    struct bucket *b = bucket_of(addr);
    w->addr = addr;
    w->cancel = cancel_queued;
    mn_lock_acquire(&b->lock);
    bool ok = !check || check(arg);
    if (ok)
        append(b, w);
    mn_lock_release(&b->lock);
    return ok;
}

/* Takes up to n waiters of addr off the queue, into a private list. */
static struct mn_waiter *dequeue(struct bucket *b, const void *addr, int n, int *count)
{
    struct mn_waiter *list = NULL, **tail = &list;
    int k = 0;
    struct mn_waiter **link;
    while (k < n) {
        struct mn_waiter *head = find_head(b, addr, &link);
        if (!head)
            break;
        unlink_waiter(b, head);
        head->result = 0;
        head->bnext = NULL;
        *tail = head;
        tail = &head->bnext;
        k++;
    }
    *count = k;
    return list;
}

static void wake_list(struct mn_waiter *w)
{
    while (w) {
        struct mn_waiter *next = w->bnext; /* read before w may vanish */
        mn_waiter_wake(w);
        w = next;
    }
}

int mn_waitq_wake(const void *addr, int n)
{
    struct bucket *b = bucket_of(addr);
    int count;
    mn_lock_acquire(&b->lock);
    struct mn_waiter *list = dequeue(b, addr, n, &count);
    mn_lock_release(&b->lock);
    wake_list(list);
    return count;
}

int mn_waitq_requeue(const void *from, const void *to, int n_wake)
{
    struct bucket *bf = bucket_of(from), *bt = bucket_of(to);
    /* two bucket locks: taken in address order */
    struct bucket *first = bf < bt ? bf : bt, *second = bf < bt ? bt : bf;
    int count;
    mn_lock_acquire(&first->lock);
    if (second != first)
        mn_lock_acquire(&second->lock);
    struct mn_waiter *list = dequeue(bf, from, n_wake, &count);
    struct mn_waiter **link;
    struct mn_waiter *w;
    while ((w = find_head(bf, from, &link))) {
        unlink_waiter(bf, w);
        __atomic_store_n(&w->addr, to, __ATOMIC_RELEASE);
        append(bt, w);
    }
    if (second != first)
        mn_lock_release(&second->lock);
    mn_lock_release(&first->lock);
    wake_list(list);
    return count;
}

bool mn_waitq_has_waiters(const void *addr)
{
    struct bucket *b = bucket_of(addr);
    struct mn_waiter **link;
    mn_lock_acquire(&b->lock);
    bool any = find_head(b, addr, &link) != NULL;
    mn_lock_release(&b->lock);
    return any;
}

struct word_check {
    _Atomic uint32_t *word;
    uint32_t val;
};

static bool word_still(void *arg)
{
    struct word_check *c = arg;
    return atomic_load_explicit(c->word, memory_order_seq_cst) == c->val;
}

/* A signal the G takes ends the wait (its handler runs as the G wakes):
 * EINTR if eintr, else as a spurious wake-up, 0. */
static int waitq_wait(const void *addr, bool (*check)(void *), void *arg, int64_t deadline_ns,
                      const char *reason, bool eintr)
{
    struct mn_waiter w;
    mn_waiter_init(&w, reason);
    if (!mn_waitq_enqueue(&w, addr, check, arg))
        return EAGAIN;
    w.intr = true;
    w.cancel_point = eintr; /* sem_wait is one; locks are not */
    int r = mn_waiter_block(&w, deadline_ns);
    return r == EINTR && !eintr ? 0 : r;
}

int mn_waitq_wait(const void *addr, bool (*check)(void *), void *arg, int64_t deadline_ns,
                  const char *reason)
{
    return waitq_wait(addr, check, arg, deadline_ns, reason, false);
}

int mn_ufutex_wait(_Atomic uint32_t *word, uint32_t val, int64_t deadline_ns, const char *reason)
{
    struct word_check c = {word, val};
    return waitq_wait(word, word_still, &c, deadline_ns, reason, false);
}

int mn_ufutex_wait_intr(_Atomic uint32_t *word, uint32_t val, int64_t deadline_ns,
                        const char *reason)
{
    struct word_check c = {word, val};
    return waitq_wait(word, word_still, &c, deadline_ns, reason, true);
}

int mn_ufutex_wake(_Atomic uint32_t *word, int n)
{
    return mn_waitq_wake(word, n);
}

/* Locks (waitq.h) */

int mn_lock_release_contended(_Atomic uint32_t *word)
{
    struct bucket *b = bucket_of(word);
    struct mn_waiter **link;
    int count = 0;
    struct mn_waiter *list = NULL;
    mn_lock_acquire(&b->lock);
    struct mn_waiter *head = find_head(b, word, &link);
    atomic_store_explicit(word, 0, memory_order_release);
    if (head && !head->woken_ahead) {
        list = dequeue(b, word, 1, &count);
        struct mn_waiter *next = find_head(b, word, &link);
        if (next)
            next->woken_ahead = true; /* the next first waiter inherits it */
    }
    mn_lock_release(&b->lock);
    wake_list(list);
    return count;
}

void mn_lock_unmark(_Atomic uint32_t *word)
{
    struct bucket *b = bucket_of(word);
    struct mn_waiter **link;
    mn_lock_acquire(&b->lock);
    struct mn_waiter *head = find_head(b, word, &link);
    if (head)
        head->woken_ahead = false;
    mn_lock_release(&b->lock);
}

void mn_waitq_reset(void)
{
    for (int i = 0; i < NBUCKETS; i++)
        table[i] = (struct bucket){.lock = MN_LOCK_INIT(WAITQ)};
}
