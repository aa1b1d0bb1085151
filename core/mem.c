/* mnrt's own memory: see mem.h. */
#include "core/mem.h"

#include "core/runtime.h"
#include "core/stack.h"

#include <string.h>
#include <sys/mman.h>

static size_t pages(size_t size)
{
    size_t page = mn_page_size();
    return (size + page - 1) & ~(page - 1);
}

void *mn_mem_alloc(size_t size)
{
    if (size == 0)
        size = 1;
    void *p = mmap(NULL, pages(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                   0);
    return p == MAP_FAILED ? NULL : p;
}

void mn_mem_free(void *p, size_t size)
{
    if (p)
        munmap(p, pages(size ? size : 1));
}

void *mn_mem_realloc(void *p, size_t old, size_t size)
{
    if (!p)
        return mn_mem_alloc(size);
    if (pages(old ? old : 1) == pages(size ? size : 1))
        return p;
    void *q = mremap(p, pages(old ? old : 1), pages(size ? size : 1), MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
}

void *mn_buf_get(struct mn_buf *b, size_t size)
{
    mn_g *g = mn_getg();
    b->size = size;
    b->scratch = g && !g->scratch_busy;
    if (!b->scratch)
        return b->p = mn_mem_alloc(size);
    if (g->scratch_size < size) {
        void *more = mn_mem_realloc(g->scratch, g->scratch_size, size);
        if (!more)
            return b->p = NULL;
        g->scratch = more;
        g->scratch_size = size;
    }
    g->scratch_busy = true;
    return b->p = g->scratch;
}

void mn_buf_put(struct mn_buf *b)
{
    if (b->scratch)
        mn_getg()->scratch_busy = false;
    else
        mn_mem_free(b->p, b->size);
}
