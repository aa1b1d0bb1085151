/* ELF symbol lookup for thread dumps: see symbolize.h. */
#include "core/symbolize.h"

#include "compat/elf_file.h"
#include "compat/raw_syscall.h"
#include "core/lowfd.h"

#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>

#define MAX_OBJECTS 128

struct object {
    uintptr_t bias, lo, hi;  /* load bias; lowest and highest PT_LOAD address */
    char path[256];
    const char *base;        /* path without the directory */
    bool loaded;             /* the symbol table was looked for */
    bool mnrt, program;
    struct mn_elf elf;       /* the file, mapped (or the vDSO in memory) */
    struct mn_elf_symtab tab; /* .symtab, else .dynsym */
};

static struct object objects[MAX_OBJECTS];
static int nobjects;
static uintptr_t mnrt_bias;

static void set_path(struct object *o, const char *name)
{
    if (name && name[0]) {
        strncpy(o->path, name, sizeof o->path - 1);
    } else { /* the executable */
        long n = mn_raw_syscall(SYS_readlink, "/proc/self/exe", o->path, sizeof o->path - 1);
        if (n <= 0)
            strcpy(o->path, "/proc/self/exe");
        else
            o->path[n] = 0;
        o->program = true;
    }
    const char *slash = strrchr(o->path, '/');
    o->base = slash ? slash + 1 : o->path;
}

struct find {
    uintptr_t pc;
    struct object *found;
};

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find *f = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    bool holds = false;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        lo = a < lo ? a : lo;
        hi = a + ph->p_memsz > hi ? a + ph->p_memsz : hi;
        if (f->pc >= a && f->pc < a + ph->p_memsz)
            holds = true;
    }
    if (!holds || nobjects == MAX_OBJECTS)
        return 0;
    struct object *o = &objects[nobjects++];
    memset(o, 0, sizeof *o);
    o->bias = info->dlpi_addr;
    o->lo = lo;
    o->hi = hi;
    o->mnrt = o->bias == mnrt_bias;
    set_path(o, info->dlpi_name);
    f->found = o;
    return 1;
}

static uintptr_t bias_of(const void *addr)
{
    struct find f = {(uintptr_t)addr, NULL};
    int saved = nobjects;
    dl_iterate_phdr(visit, &f);
    uintptr_t b = f.found ? f.found->bias : 0;
    nobjects = saved;
    return b;
}

static struct object *object_of(uintptr_t pc)
{
    for (int i = 0; i < nobjects; i++)
        if (pc >= objects[i].lo && pc < objects[i].hi)
            return &objects[i];
    struct find f = {pc, NULL};
    dl_iterate_phdr(visit, &f);
    return f.found;
}

/* Opened where the program's closes do not reach it (core/lowfd.h): a
 * dump is made while the program runs. */
static bool map_object_file(struct object *o)
{
    int fd = mn_lowfd_open(o->path, O_RDONLY);
    if (fd < 0)
        return false;
    bool ok = mn_elf_map_fd(&o->elf, fd);
    mn_lowfd_close(fd);
    return ok;
}

static void load(struct object *o)
{
    o->loaded = true;
    uintptr_t vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
    if (vdso && o->bias == vdso) /* no file: its image is in memory */
        mn_elf_memory(&o->elf, (const void *)vdso, o->hi - vdso);
    else if (!map_object_file(o))
        return;
    if (!mn_elf_symtab(&o->elf, SHT_SYMTAB, &o->tab))
        mn_elf_symtab(&o->elf, SHT_DYNSYM, &o->tab);
}

void mn_sym_begin(void)
{
    nobjects = 0;
    if (!mnrt_bias)
        mnrt_bias = bias_of((const void *)mn_sym_begin);
}

void mn_sym_lookup(uintptr_t pc, struct mn_sym *out)
{
    *out = (struct mn_sym){.object = "?"};
    struct object *o = object_of(pc);
    if (!o)
        return;
    out->object = o->base;
    out->object_off = pc - o->bias;
    out->mnrt = o->mnrt;
    out->program = o->program;
    if (!o->loaded)
        load(o);
    uint64_t off = pc - o->bias;
    const Elf64_Sym *best = NULL;
    bool best_covers = false;
    for (size_t i = 0; i < o->tab.n; i++) {
        const Elf64_Sym *s = &o->tab.syms[i];
        int type = ELF64_ST_TYPE(s->st_info);
        if (s->st_shndx == SHN_UNDEF || s->st_value > off || s->st_name >= o->tab.strsize ||
            (type != STT_FUNC && type != STT_GNU_IFUNC))
            continue;
        bool covers = off < s->st_value + s->st_size;
        /* one that covers pc wins over one that merely precedes it; then
         * the nearest, and a global name over a local alias */
        if (!best || (covers && !best_covers) ||
            (covers == best_covers &&
             (s->st_value > best->st_value ||
              (s->st_value == best->st_value && ELF64_ST_BIND(s->st_info) == STB_GLOBAL)))) {
            best = s;
            best_covers = covers;
        }
    }
    if (best && (best_covers || best->st_size == 0)) {
        out->func = mn_elf_sym_name(&o->tab, best);
        out->off = off - best->st_value;
    }
}

void mn_sym_end(void)
{
    for (int i = 0; i < nobjects; i++)
        mn_elf_unmap(&objects[i].elf);
    nobjects = 0;
}

void mn_sym_mnrt_code(uintptr_t *lo, uintptr_t *hi)
{
    struct object *o = object_of((uintptr_t)mn_sym_begin);
    *lo = o ? o->lo : 0;
    *hi = o ? o->hi : 0;
}
