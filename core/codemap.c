/* The text ranges of the runtime's own objects: see codemap.h. */
#include "core/codemap.h"

#include "compat/real.h"

#include <link.h>
#include <string.h>
#include <sys/auxv.h>

#define MAX_RANGES 24

struct range {
    uintptr_t lo, hi;
    bool glibc;
};

static struct range ranges[MAX_RANGES];
static int nranges;
static bool complete;

/* ld.so's own function: its address tells the loader's object apart */
extern void *__tls_get_addr(void *);

/* Addresses that tell the runtime's objects apart: libmnrt, libc (the
 * only one with __libc_start_main), the library with pthread_create
 * (libpthread before 2.34, libc since), ld.so. */
enum { MNRT, LIBC, PTHREAD, LDSO, NPROBES };

struct probe {
    uintptr_t addr[NPROBES];
    bool found[NPROBES];
};

/* glibc's libraries that made threads through the exported pthread_create
 * before 2.34 (codemap.h), by name: no address of theirs is at hand */
static bool helper_library(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    const char *base = slash ? slash + 1 : path;
    return base && (strcmp(base, "librt.so.1") == 0 || strcmp(base, "libanl.so.1") == 0);
}

static bool holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && addr >= lo && addr < lo + ph->p_memsz)
            return true;
    }
    return false;
}

static void add_text(const struct dl_phdr_info *info, bool glibc)
{
    for (int i = 0; i < info->dlpi_phnum && nranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        ranges[nranges++] = (struct range){lo, lo + ph->p_memsz, glibc};
    }
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct probe *p = arg;
    uintptr_t vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
    bool ours = vdso && info->dlpi_addr == vdso; /* the vDSO's bias is its address */
    bool glibc = helper_library(info->dlpi_name);
    for (int k = 0; k < NPROBES; k++)
        if (holds(info, p->addr[k])) {
            p->found[k] = true;
            ours = true;
            glibc |= k == LIBC || k == PTHREAD;
        }
    if (ours || glibc)
        add_text(info, glibc);
    return 0;
}

bool mn_codemap_init(void)
{
    struct probe p = {
        .addr = {[MNRT] = (uintptr_t)mn_codemap_init,
                 [LIBC] = (uintptr_t)mn_real.__libc_start_main,
                 [PTHREAD] = (uintptr_t)mn_real.pthread_create,
                 [LDSO] = (uintptr_t)__tls_get_addr},
    };
    nranges = 0;
    dl_iterate_phdr(visit, &p);
    complete = p.found[MNRT] && p.found[LIBC];
    return complete;
}

bool mn_codemap_complete(void)
{
    return complete;
}

bool mn_codemap_runtime(uintptr_t pc)
{
    for (int i = 0; i < nranges; i++)
        if (pc >= ranges[i].lo && pc < ranges[i].hi)
            return true;
    return false;
}

bool mn_codemap_glibc(uintptr_t pc)
{
    for (int i = 0; i < nranges; i++)
        if (ranges[i].glibc && pc >= ranges[i].lo && pc < ranges[i].hi)
            return true;
    return false;
}
