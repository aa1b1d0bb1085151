/* dlsym(RTLD_NEXT) without dlsym: see real_lookup.h. */
#include "compat/real_lookup.h"

#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define VERSYM_HIDDEN 0x8000

/* libmnrt's own dynamic section: tells its link map apart */
extern ElfW(Dyn) _DYNAMIC[];

struct dynsyms {
    uintptr_t base;
    const ElfW(Sym) *syms;
    const char *strs;
    const uint32_t *gnu_hash, *sysv_hash;
    const ElfW(Half) *versym;
};

/* ld.so relocates the address entries of an object's dynamic section in
 * place; the vDSO's are left as offsets. */
static uintptr_t address(const struct link_map *l, ElfW(Addr) ptr)
{
    return ptr < l->l_addr ? l->l_addr + ptr : ptr;
}

static bool read_dynamic(const struct link_map *l, struct dynsyms *d)
{
    memset(d, 0, sizeof *d);
    d->base = l->l_addr;
    for (const ElfW(Dyn) *dyn = l->l_ld; dyn && dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_SYMTAB:
            d->syms = (const void *)address(l, dyn->d_un.d_ptr);
            break;
        case DT_STRTAB:
            d->strs = (const void *)address(l, dyn->d_un.d_ptr);
            break;
        case DT_GNU_HASH:
            d->gnu_hash = (const void *)address(l, dyn->d_un.d_ptr);
            break;
        case DT_HASH:
            d->sysv_hash = (const void *)address(l, dyn->d_un.d_ptr);
            break;
        case DT_VERSYM:
            d->versym = (const void *)address(l, dyn->d_un.d_ptr);
            break;
        }
    }
    return d->syms && d->strs && (d->gnu_hash || d->sysv_hash);
}

/* A definition dlsym would take: defined, global or weak, code, and not a
 * hidden (non-default) version. */
static bool takes(const struct dynsyms *d, uint32_t i, const char *name)
{
    const ElfW(Sym) *s = &d->syms[i];
    int type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
    return s->st_shndx != SHN_UNDEF && (bind == STB_GLOBAL || bind == STB_WEAK) &&
           (type == STT_FUNC || type == STT_GNU_IFUNC) &&
           !(d->versym && (d->versym[i] & VERSYM_HIDDEN)) && strcmp(d->strs + s->st_name, name) == 0;
}

static const ElfW(Sym) *gnu_lookup(const struct dynsyms *d, const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = h * 33 + *c;
    const uint32_t *t = d->gnu_hash;
    uint32_t nbuckets = t[0], symoffset = t[1], bloom_size = t[2];
    if (nbuckets == 0)
        return NULL;
    const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(t + 4) + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset)
        return NULL;
    for (;; i++) {
        uint32_t ch = chain[i - symoffset];
        if ((ch | 1) == (h | 1) && takes(d, i, name))
            return &d->syms[i];
        if (ch & 1)
            return NULL;
    }
}

static const ElfW(Sym) *sysv_lookup(const struct dynsyms *d, const char *name)
{
    uint32_t h = 0;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        h = (h << 4) + *c;
        uint32_t g = h & 0xf0000000u;
        h ^= g >> 24;
        h &= ~g;
    }
    const uint32_t *t = d->sysv_hash;
    uint32_t nbucket = t[0];
    const uint32_t *bucket = t + 2, *chain = bucket + nbucket;
    for (uint32_t i = bucket[h % nbucket]; i != STN_UNDEF; i = chain[i])
        if (takes(d, i, name))
            return &d->syms[i];
    return NULL;
}

/* The first definition in the maps from `from` up to `to` (excluded). */
static void *first_definition(const struct link_map *from, const struct link_map *to,
                              const char *name)
{
    for (const struct link_map *l = from; l && l != to; l = l->l_next) {
        struct dynsyms d;
        if (l->l_ld == _DYNAMIC || !read_dynamic(l, &d))
            continue;
        const ElfW(Sym) *s = d.gnu_hash ? gnu_lookup(&d, name) : sysv_lookup(&d, name);
        if (!s)
            continue;
        void *p = (void *)(d.base + s->st_value);
        if (ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC)
            p = ((void *(*)(void))p)();
        return p;
    }
    return NULL;
}

void *mn_real_lookup_next(const char *name)
{
    const struct link_map *mnrt = _r_debug.r_map;
    while (mnrt && mnrt->l_ld != _DYNAMIC)
        mnrt = mnrt->l_next;
    void *p = first_definition(mnrt ? mnrt->l_next : NULL, NULL, name);
    /* libmnrt dlopen'ed after start-up (boot refuses, calls are served
     * natively): glibc is before it */
    return p ? p : first_definition(_r_debug.r_map, mnrt, name);
}
