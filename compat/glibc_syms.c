/* glibc's data symbols from glibc's own libraries: see glibc_syms.h. */
#include "compat/glibc_syms.h"

#include "compat/elf_file.h"
#include "compat/real.h"

#include <link.h>
#include <string.h>

#define MAX_LIBS 3

struct lib {
    char path[256];
    uintptr_t bias, lo, hi; /* load bias, PT_LOAD extent */
    const ElfW(Phdr) *phdr; /* as the loader mapped them */
    int phnum;
    struct mn_elf elf;      /* the file, once a .symtab lookup needed it */
    struct mn_elf_symtab symtab;
    bool tried;             /* elf/symtab looked for */
};

static struct lib libs[MAX_LIBS];
static int nlibs = -1;

static bool is_glibc(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    return strcmp(base, "libc.so.6") == 0 || strcmp(base, "libpthread.so.0") == 0 ||
           strcmp(base, "ld-linux-x86-64.so.2") == 0;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    if (!info->dlpi_name || !is_glibc(info->dlpi_name) || nlibs == MAX_LIBS ||
        strlen(info->dlpi_name) >= sizeof libs[0].path)
        return 0;
    struct lib *l = &libs[nlibs++];
    memset(l, 0, sizeof *l);
    strcpy(l->path, info->dlpi_name);
    l->bias = info->dlpi_addr;
    l->phdr = info->dlpi_phdr;
    l->phnum = info->dlpi_phnum;
    l->lo = UINTPTR_MAX;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        l->lo = a < l->lo ? a : l->lo;
        l->hi = a + ph->p_memsz > l->hi ? a + ph->p_memsz : l->hi;
    }
    return 0;
}

static bool in_glibc(const void *p)
{
    for (int i = 0; i < nlibs; i++)
        if ((uintptr_t)p >= libs[i].lo && (uintptr_t)p < libs[i].hi)
            return true;
    return false;
}

/* The library's handle searches it, then what it depends on: ld.so's own
 * names are found through libc's (a handle of ld.so's finds nothing). */
static const void *dynamic(const struct lib *l, const char *name)
{
    void *h = mn_real.dlopen(l->path, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return NULL;
    const void *p = dlsym(h, name);
    dlclose(h);
    return p && in_glibc(p) ? p : NULL;
}

/* The file is the one loaded if its program headers are those mapped. */
static bool load_symtab(struct lib *l)
{
    if (l->tried)
        return l->symtab.syms != NULL;
    l->tried = true;
    int n;
    const Elf64_Phdr *ph;
    if (!mn_elf_map(&l->elf, l->path) || !(ph = mn_elf_phdrs(&l->elf, &n)) || n != l->phnum ||
        memcmp(ph, l->phdr, (size_t)n * sizeof *ph) != 0 ||
        !mn_elf_symtab(&l->elf, SHT_SYMTAB, &l->symtab)) {
        mn_elf_unmap(&l->elf);
        return false;
    }
    return true;
}

static const void *in_symtab(struct lib *l, const char *name)
{
    if (!load_symtab(l))
        return NULL;
    for (size_t i = 0; i < l->symtab.n; i++) {
        const Elf64_Sym *s = &l->symtab.syms[i];
        const char *n = mn_elf_sym_name(&l->symtab, s);
        if (s->st_shndx != SHN_UNDEF && ELF64_ST_TYPE(s->st_info) == STT_OBJECT && n &&
            strcmp(n, name) == 0 && s->st_value + s->st_size <= l->hi - l->bias)
            return (const void *)(l->bias + s->st_value);
    }
    return NULL;
}

const void *mn_glibc_data(const char *name)
{
    if (nlibs < 0) {
        nlibs = 0;
        dl_iterate_phdr(visit, NULL);
    }
    for (int i = 0; i < nlibs; i++) {
        const void *p = dynamic(&libs[i], name);
        if (p)
            return p;
    }
    for (int i = 0; i < nlibs; i++) {
        const void *p = in_symtab(&libs[i], name);
        if (p)
            return p;
    }
    return NULL;
}

void mn_glibc_syms_release(void)
{
    for (int i = 0; i < nlibs; i++) {
        mn_elf_unmap(&libs[i].elf);
        libs[i].symtab = (struct mn_elf_symtab){0};
        libs[i].tried = false;
    }
}
