/* G stacks: see stack.h. */
#include "core/stack.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>
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

char *mn_stack_map_region(size_t len, size_t guard)
{
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    if (guard && make_guard(base, guard) != 0) {
        munmap(base, len);
        return NULL;
    }
    return base;
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
