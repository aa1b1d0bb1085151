/* Fake tids of Gs: see gtid.h. */
#include "core/gtid.h"

#include "core/mem.h"

#include <sys/mman.h>

#define BASE 0x20000000
#define CHUNK 4096                     /* slots of the table per chunk */
#define CHUNKS 4096
#define MAX_TIDS (CHUNK * CHUNKS)
#define PAGE_SLOTS 512                 /* slots per 4 KiB page */
#define WORDS (MAX_TIDS / 64)

/* chunks of mnrt's own memory, made as tids are handed out, never unmapped */
static _Atomic(_Atomic(mn_g *) *) table[CHUNKS];
/* under sched.lock: */
static uint64_t used[WORDS];           /* bit set: handed out */
static uint16_t page_live[MAX_TIDS / PAGE_SLOTS];
static uint32_t first_free_word;       /* no free tid below its first bit */
static _Atomic uint32_t high;          /* tids ever handed out: 0 .. high-1 */

pid_t mn_gtid_base(void)
{
    return BASE;
}

static _Atomic(mn_g *) *slot(uint32_t i, bool make)
{
    _Atomic(_Atomic(mn_g *) *) *c = &table[i / CHUNK];
    _Atomic(mn_g *) *chunk = atomic_load(c);
    if (!chunk && make) {
        _Atomic(mn_g *) *fresh = mn_mem_alloc(CHUNK * sizeof *fresh);
        if (!fresh)
            return NULL;
        if (atomic_compare_exchange_strong(c, &chunk, fresh))
            chunk = fresh;
        else
            mn_mem_free(fresh, CHUNK * sizeof *fresh);
    }
    return chunk ? &chunk[i % CHUNK] : NULL;
}

pid_t mn_gtid_get(void)
{
    mn_lock_acquire(&mn_sched.lock);
    uint32_t w = first_free_word;
    while (w < WORDS && used[w] == ~(uint64_t)0)
        w++;
    first_free_word = w;
    if (w == WORDS) {
        mn_lock_release(&mn_sched.lock);
        return 0;
    }
    uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(~used[w]);
    used[w] |= (uint64_t)1 << (i % 64);
    page_live[i / PAGE_SLOTS]++;
    if (i >= atomic_load(&high))
        atomic_store(&high, i + 1);
    mn_lock_release(&mn_sched.lock);
    return BASE + (pid_t)i;
}

void mn_gtid_set(pid_t tid, mn_g *g)
{
    _Atomic(mn_g *) *s = slot((uint32_t)(tid - BASE), g != NULL);
    if (s)
        atomic_store_explicit(s, g, memory_order_release);
}

void mn_gtid_put_locked(pid_t tid)
{
    uint32_t i = (uint32_t)(tid - BASE);
    used[i / 64] &= ~((uint64_t)1 << (i % 64));
    if (i / 64 < first_free_word)
        first_free_word = i / 64;
    if (--page_live[i / PAGE_SLOTS] != 0)
        return;
    _Atomic(mn_g *) *s = slot(i - i % PAGE_SLOTS, false);
    if (s) /* its slots are all NULL: the zero page reads the same */
        madvise((void *)s, PAGE_SLOTS * sizeof *s, MADV_DONTNEED);
}

mn_g *mn_gtid_g(uint32_t i)
{
    if (i >= MAX_TIDS)
        return NULL;
    _Atomic(mn_g *) *s = slot(i, false);
    return s ? atomic_load_explicit(s, memory_order_acquire) : NULL;
}

bool mn_gtid_was_handed_out(pid_t tid)
{
    return tid >= BASE && (uint32_t)(tid - BASE) < atomic_load(&high);
}
