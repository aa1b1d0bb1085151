/* Static TLS images of late modules: see tls_modules.h. The module's
 * static offset is link_map.l_tls_offset, located through glibc's
 * libthread_db descriptor (compat/glibc_syms.h); link maps come from
 * _r_debug.
 * The caller serializes all calls (shim/dlopen.c holds a lock). */
#include "compat/tls_modules.h"

#include "compat/glibc_syms.h"
#include "compat/log.h"

#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NO_TLS_OFFSET 0
#define FORCED_DYNAMIC_TLS_OFFSET ((ptrdiff_t)-1)

struct seen {
    const struct link_map *map;
    ptrdiff_t offset;
};

static struct seen *seen;
static size_t nseen, capseen;
static size_t off_tls_offset;

static ptrdiff_t static_offset(const struct link_map *l)
{
    return *(const ptrdiff_t *)((const char *)l + off_tls_offset);
}

static bool was_seen(const struct link_map *l, ptrdiff_t off)
{
    for (size_t i = 0; i < nseen; i++)
        if (seen[i].map == l && seen[i].offset == off)
            return true;
    return false;
}

static void mark_seen(const struct link_map *l, ptrdiff_t off)
{
    if (nseen == capseen) {
        size_t cap = capseen ? capseen * 2 : 32;
        struct seen *s = realloc(seen, cap * sizeof *s);
        if (!s)
            return; /* seen again next time: harmless */
        seen = s;
        capseen = cap;
    }
    seen[nseen++] = (struct seen){l, off};
}

static bool has_static_block(const struct link_map *l)
{
    ptrdiff_t off = static_offset(l);
    return off != NO_TLS_OFFSET && off != FORCED_DYNAMIC_TLS_OFFSET;
}

const char *mn_tls_modules_boot(void)
{
    const uint32_t *d = mn_glibc_data("_thread_db_link_map_l_tls_offset");
    if (!d)
        return "glibc does not describe link_map.l_tls_offset (no "
               "_thread_db_link_map_l_tls_offset)";
    off_tls_offset = d[2];
    for (const struct link_map *l = _r_debug.r_map; l; l = l->l_next)
        if (has_static_block(l))
            mark_seen(l, static_offset(l));
    return NULL;
}

struct collect {
    struct mn_tls_image *out;
    int n, max;
};

static const struct link_map *map_of(const struct dl_phdr_info *info)
{
    for (const struct link_map *l = _r_debug.r_map; l; l = l->l_next)
        if (l->l_addr == info->dlpi_addr && info->dlpi_name &&
            strcmp(l->l_name, info->dlpi_name) == 0)
            return l;
    return NULL;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct collect *c = arg;
    if (c->n == c->max || info->dlpi_tls_modid == 0)
        return 0;
    const struct link_map *l = map_of(info);
    if (!l || !has_static_block(l) || was_seen(l, static_offset(l)))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_TLS)
            continue;
        c->out[c->n++] = (struct mn_tls_image){
            .offset = static_offset(l),
            .init = (const char *)info->dlpi_addr + ph->p_vaddr,
            .filesz = ph->p_filesz,
            .memsz = ph->p_memsz,
        };
        mark_seen(l, static_offset(l));
        break;
    }
    return 0;
}

int mn_tls_modules_new(struct mn_tls_image *out, int max)
{
    struct collect c = {out, 0, max};
    dl_iterate_phdr(visit, &c);
    return c.n;
}

void mn_tls_modules_apply(void *tcb, const struct mn_tls_image *mods, int n)
{
    for (int i = 0; i < n; i++) {
        char *block = (char *)tcb - mods[i].offset;
        memcpy(block, mods[i].init, mods[i].filesz);
        memset(block + mods[i].filesz, 0, mods[i].memsz - mods[i].filesz);
    }
}
