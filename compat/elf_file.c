/* ELF images and their symbol tables: see elf_file.h. */
#include "compat/elf_file.h"

#include "compat/raw_syscall.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static bool within(const struct mn_elf *e, uint64_t off, uint64_t len)
{
    return off <= e->size && len <= e->size - off;
}

bool mn_elf_map_fd(struct mn_elf *e, int fd)
{
    memset(e, 0, sizeof *e);
    struct stat st;
    if (mn_raw_syscall(SYS_fstat, fd, &st) == 0 && st.st_size > (off_t)sizeof(Elf64_Ehdr)) {
        long p = mn_raw_syscall(SYS_mmap, NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p > 0 || p < -4095) {
            e->image = (const char *)p;
            e->size = (size_t)st.st_size;
            e->mapped = true;
        }
    }
    return e->image != NULL;
}

bool mn_elf_map(struct mn_elf *e, const char *path)
{
    memset(e, 0, sizeof *e);
    int fd = (int)mn_raw_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = mn_elf_map_fd(e, fd);
    mn_raw_syscall(SYS_close, fd);
    return ok;
}

void mn_elf_memory(struct mn_elf *e, const void *image, size_t size)
{
    *e = (struct mn_elf){.image = image, .size = size};
}

void mn_elf_unmap(struct mn_elf *e)
{
    if (e->mapped)
        mn_raw_syscall(SYS_munmap, e->image, e->size);
    memset(e, 0, sizeof *e);
}

static const Elf64_Ehdr *header(const struct mn_elf *e)
{
    const Elf64_Ehdr *eh = (const void *)e->image;
    if (!e->image || !within(e, 0, sizeof *eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64)
        return NULL;
    return eh;
}

bool mn_elf_symtab(const struct mn_elf *e, uint32_t type, struct mn_elf_symtab *out)
{
    memset(out, 0, sizeof *out);
    const Elf64_Ehdr *eh = header(e);
    if (!eh || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !within(e, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return false;
    const Elf64_Shdr *sh = (const void *)(e->image + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != type || sh[i].sh_link >= eh->e_shnum ||
            sh[i].sh_entsize != sizeof(Elf64_Sym))
            continue;
        const Elf64_Shdr *st = &sh[sh[i].sh_link];
        if (!within(e, sh[i].sh_offset, sh[i].sh_size) || !within(e, st->sh_offset, st->sh_size) ||
            st->sh_size == 0)
            continue;
        out->syms = (const void *)(e->image + sh[i].sh_offset);
        out->n = sh[i].sh_size / sizeof(Elf64_Sym);
        out->strs = e->image + st->sh_offset;
        out->strsize = st->sh_size;
        return true;
    }
    return false;
}

const char *mn_elf_sym_name(const struct mn_elf_symtab *t, const Elf64_Sym *s)
{
    if (s->st_name >= t->strsize)
        return NULL;
    const char *name = t->strs + s->st_name;
    return memchr(name, 0, t->strsize - s->st_name) ? name : NULL;
}

const Elf64_Phdr *mn_elf_phdrs(const struct mn_elf *e, int *count)
{
    const Elf64_Ehdr *eh = header(e);
    if (!eh || eh->e_phentsize != sizeof(Elf64_Phdr) ||
        !within(e, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
        return NULL;
    *count = eh->e_phnum;
    return (const void *)(e->image + eh->e_phoff);
}
