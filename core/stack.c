/* G stacks: see stack.h. */
#include "core/stack.h"

#include "compat/raw_syscall.h"
#include "core/lowfd.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "compat/backfill.h" /* after the system headers */

/* 1 while MADV_GUARD_INSTALL works; cleared on the first EINVAL. */
static atomic_bool guard_install_works = true;

size_t mn_page_size(void)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

size_t mn_round_page(size_t n)
{
    size_t p = mn_page_size();
    return (n + p - 1) & ~(p - 1);
}

static int make_guard(char *base, size_t guard)
{
    if (atomic_load_explicit(&guard_install_works, memory_order_relaxed)) {
        if (madvise(base, guard, MADV_GUARD_INSTALL) == 0)
            return 0;
        if (errno != EINVAL)
            return errno;
        atomic_store(&guard_install_works, false);
    }
    return mprotect(base, guard, PROT_NONE) == 0 ? 0 : errno;
}

/* len bytes of stack memory, committed lazily, or NULL */
static char *map_lazy(size_t len)
{
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    return base == MAP_FAILED ? NULL : base;
}

/* base, a region of len bytes, with its guard made; unmapped and NULL if
 * the guard could not be */
static char *guarded(char *base, size_t len, size_t guard)
{
    if (guard && make_guard(base, guard) != 0) {
        munmap(base, len);
        return NULL;
    }
    return base;
}

char *mn_stack_map_region(size_t len, size_t guard)
{
    char *base = map_lazy(len);
    return base ? guarded(base, len, guard) : NULL;
}

/* The reserves of mn_stack_take_region, one per kind of region (length
 * and guard: the first RESERVE_KINDS kinds asked for, with guards below
 * RESERVE_GUARD_PAGES pages; others are mapped one by one), each mapped
 * RESERVE_BATCH regions at a time, every region's guard made before the
 * batch is published. A reserve's kind is set once, as one word: the
 * length (page aligned) plus the guard's pages. Its `word` is the lowest
 * region's address (page aligned) plus how many regions from it up are
 * free, 0 when none: one word, changed by compare-and-swap, so that no
 * lock is held across fork, and a thread that took a region from a batch
 * that was then used up and mapped again at the same address took a free
 * one all the same. */
#define RESERVE_BATCH 16
#define RESERVE_KINDS 4
#define RESERVE_GUARD_PAGES 4096
struct reserve {
    _Atomic size_t kind;
    _Atomic uintptr_t word;
};
static struct reserve reserves[RESERVE_KINDS];

static struct reserve *reserve_for(size_t len, size_t guard)
{
    size_t page = mn_page_size();
    if (guard / page >= RESERVE_GUARD_PAGES)
        return NULL;
    size_t kind = len + guard / page;
    for (int i = 0; i < RESERVE_KINDS; i++) {
        size_t have = 0;
        if (atomic_compare_exchange_strong(&reserves[i].kind, &have, kind) || have == kind)
            return &reserves[i];
    }
    return NULL;
}

/* process_madvise's target "the calling process" (Linux 6.15+; any advice
 * for it since 6.13). */
#ifndef PIDFD_SELF_THREAD_GROUP
#define PIDFD_SELF_THREAD_GROUP (-10001)
#endif

/* 1 while one process_madvise call makes a batch's guards; cleared when
 * the kernel refuses it (older than 6.15: EINVAL, EBADF, ENOSYS; EPERM)
 * or the process has a seccomp filter, which may not let through a call
 * glibc never makes (a filter that kills or traps on it killed the
 * program, a review): each guard is then made alone, as glibc does. A
 * filter cannot be taken off, so that answer lasts. */
static atomic_bool batch_guards_work = true;

static bool may_batch_guards(void)
{
    if (!atomic_load_explicit(&batch_guards_work, memory_order_relaxed) ||
        !atomic_load_explicit(&guard_install_works, memory_order_relaxed))
        return false;
    if (mn_raw_syscall(SYS_prctl, PR_GET_SECCOMP) > 0) { /* a filter (-EINVAL: no seccomp) */
        atomic_store(&batch_guards_work, false);
        return false;
    }
    return true;
}

/* Makes the guards of the n regions of len bytes from base: one system
 * call where the kernel takes them together, one each otherwise. Returns
 * 0 or an errno value. */
static int guard_batch(char *base, size_t len, size_t guard, int n)
{
    if (!guard)
        return 0;
    if (may_batch_guards()) {
        struct iovec iov[RESERVE_BATCH];
        for (int i = 0; i < n; i++)
            iov[i] = (struct iovec){.iov_base = base + (size_t)i * len, .iov_len = guard};
        long done = mn_raw_syscall(SYS_process_madvise, PIDFD_SELF_THREAD_GROUP, iov, n,
                                   MADV_GUARD_INSTALL, 0);
        if (done == (long)(guard * (size_t)n))
            return 0;
        if (done == -EINVAL || done == -EBADF || done == -ENOSYS || done == -EPERM)
            atomic_store(&batch_guards_work, false); /* (others pass: ENOMEM, EINTR) */
        /* (a partial one is made again below: a guard may be made twice) */
    }
    for (int i = 0; i < n; i++) {
        int err = make_guard(base + (size_t)i * len, guard);
        if (err)
            return err;
    }
    return 0;
}

static char *take_reserved(struct reserve *r, size_t len)
{
    uintptr_t w = atomic_load(&r->word);
    size_t mask = mn_page_size() - 1;
    while (w) {
        uintptr_t left = w & mask;
        uintptr_t rest = left > 1 ? w - 1 : 0;
        if (atomic_compare_exchange_weak(&r->word, &w, rest))
            return (char *)(w & ~mask) + (left - 1) * len;
    }
    return NULL;
}

char *mn_stack_take_region(size_t len, size_t guard)
{
    struct reserve *r = reserve_for(len, guard);
    if (!r)
        return mn_stack_map_region(len, guard);
    char *mem = take_reserved(r, len);
    if (mem)
        return mem;
    char *batch = map_lazy(len * RESERVE_BATCH);
    if (!batch) /* perhaps only the batch is too much */
        return mn_stack_map_region(len, guard);
    if (guard_batch(batch, len, guard, RESERVE_BATCH) != 0) {
        munmap(batch, len * RESERVE_BATCH);
        return NULL;
    }
    /* the top one is ours: as the kernel places mappings, each next
     * region lies below the last, its top beside the last one's guard
     * (one page-table page for both) */
    mem = batch + (RESERVE_BATCH - 1) * len;
    uintptr_t empty = 0;
    if (!atomic_compare_exchange_strong(&r->word, &empty, (uintptr_t)batch + RESERVE_BATCH - 1))
        munmap(batch, (RESERVE_BATCH - 1) * len); /* another thread's came first */
    return mem;
}

int mn_stack_map(struct mn_stack *s, size_t size, size_t guard)
{
    size = mn_round_page(size);
    guard = mn_round_page(guard);
    char *base = mn_stack_map_region(size + guard, guard);
    if (!base)
        return EAGAIN;
    s->lo = base + guard;
    s->size = size;
    s->guard = guard;
    s->owned = true;
    return 0;
}

void mn_stack_unmap(struct mn_stack *s)
{
    if (s->owned && s->lo)
        munmap(s->lo - s->guard, s->size + s->guard);
    s->lo = NULL;
    s->size = s->guard = 0;
    s->owned = false;
}

bool mn_stack_in_guard(const struct mn_stack *s, const void *addr)
{
    uintptr_t a = (uintptr_t)addr, page = (uintptr_t)s->lo & ~(mn_page_size() - 1);
    return s->guard && a < page && a >= page - s->guard;
}

/* ---- the main thread's stack ---- */

extern void *__libc_stack_end; /* the dynamic loader's: the initial stack pointer */

struct main_search {
    uintptr_t end;     /* __libc_stack_end */
    uintptr_t to;      /* the end of its mapping, once found (0: not yet) */
    uintptr_t last_to; /* the end of the mapping before it */
};

static bool main_line(char *line, void *arg)
{
    struct main_search *s = arg;
    char *dash;
    uintptr_t from = (uintptr_t)strtoull(line, &dash, 16);
    if (*dash != '-')
        return false;
    uintptr_t to = (uintptr_t)strtoull(dash + 1, NULL, 16);
    if (from <= s->end && s->end < to) {
        s->to = to;
        return true;
    }
    s->last_to = to;
    return false;
}

bool mn_stack_of_main_thread(struct mn_stack *s)
{
    struct rlimit rl;
    struct main_search m = {.end = (uintptr_t)__libc_stack_end};
    if (getrlimit(RLIMIT_STACK, &rl) != 0 ||
        !mn_lowfd_each_line("/proc/self/maps", main_line, &m) || !m.to)
        return false;
    uintptr_t page = mn_page_size();
    uintptr_t top = (m.end & ~(page - 1)) + page;
    /* the limit, less what lies above the top; with no limit (or a limit
     * smaller than that, which wraps), up to the mapping below */
    uintptr_t size = ((uintptr_t)rl.rlim_cur - (m.to - top)) & ~(page - 1);
    if (size > top - m.last_to)
        size = top - m.last_to;
    *s = (struct mn_stack){.lo = (char *)(top - size), .size = size};
    return true;
}
