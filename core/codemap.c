/* The text ranges of the runtime's own objects: see codemap.h. */
#include "core/codemap.h"

#include "compat/real.h"

#include <link.h>
#include <string.h>
#include <sys/auxv.h>

#define MAX_RANGES 16

struct range {
    uintptr_t lo, hi;
};

static struct range ranges[MAX_RANGES];
static int nranges;

/* ld.so's own function: its address tells the loader's object apart */
extern void *__tls_get_addr(void *);

/* The addresses whose objects are the runtime's: libmnrt, glibc, ld.so. */
struct probe {
    uintptr_t addr[3];
    bool found[3];
};

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

static void add_text(const struct dl_phdr_info *info)
{
    for (int i = 0; i < info->dlpi_phnum && nranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        ranges[nranges++] = (struct range){lo, lo + ph->p_memsz};
    }
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct probe *p = arg;
    uintptr_t vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
    bool ours = vdso && info->dlpi_addr == vdso; /* the vDSO's bias is its address */
    for (int k = 0; k < 3; k++)
        if (holds(info, p->addr[k])) {
            p->found[k] = true;
            ours = true;
        }
    if (ours)
        add_text(info);
    return 0;
}

bool mn_codemap_init(void)
{
    struct probe p = {
        .addr = {(uintptr_t)mn_codemap_init, (uintptr_t)mn_real.sigaction,
                 (uintptr_t)__tls_get_addr},
    };
    nranges = 0;
    dl_iterate_phdr(visit, &p);
    return p.found[0] && p.found[1];
}

bool mn_codemap_runtime(uintptr_t pc)
{
    for (int i = 0; i < nranges; i++)
        if (pc >= ranges[i].lo && pc < ranges[i].hi)
            return true;
    return false;
}
