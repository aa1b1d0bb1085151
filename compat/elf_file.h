/* An ELF object's image (its file mapped read-only, or an image already in
 * memory such as the vDSO) and its symbol tables, read from the section
 * headers: .symtab (every symbol, local ones included, where the file was
 * not stripped) or .dynsym (the exported ones). Used to name code in
 * thread dumps (core/symbolize.h) and to find the descriptors glibc keeps
 * only in a file's .symtab (compat/glibc_syms.h).
 *
 * Invariants: no malloc, no lock, raw system calls only (a thread dump
 * runs this while other threads may hold any lock); every offset read
 * from the image is checked against its size, so a truncated or foreign
 * file gives no symbols, never a fault. */
#ifndef MN_COMPAT_ELF_FILE_H
#define MN_COMPAT_ELF_FILE_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mn_elf {
    const char *image;
    size_t size;
    bool mapped; /* image is a mapping of ours, for mn_elf_unmap */
};

struct mn_elf_symtab {
    const Elf64_Sym *syms;
    size_t n;
    const char *strs;
    size_t strsize;
};

/* Maps the file at path; false (e->image NULL) if it cannot. */
bool mn_elf_map(struct mn_elf *e, const char *path);
/* The same for an open file, which stays open (the caller opened it: a
 * thread dump's symbolizer, through core/lowfd.h). */
bool mn_elf_map_fd(struct mn_elf *e, int fd);
/* An image already in memory (not unmapped by mn_elf_unmap). */
void mn_elf_memory(struct mn_elf *e, const void *image, size_t size);
void mn_elf_unmap(struct mn_elf *e);

/* The section of type SHT_SYMTAB or SHT_DYNSYM and its strings; false if
 * the image has none (or not a 64-bit ELF one). */
bool mn_elf_symtab(const struct mn_elf *e, uint32_t type, struct mn_elf_symtab *out);

/* A symbol's name, or NULL if it is not inside the string table. */
const char *mn_elf_sym_name(const struct mn_elf_symtab *t, const Elf64_Sym *s);

/* The image's program headers, or NULL: to compare a file with what the
 * loader mapped (dl_iterate_phdr's dlpi_phdr). */
const Elf64_Phdr *mn_elf_phdrs(const struct mn_elf *e, int *count);

#endif
