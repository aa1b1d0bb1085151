/* Names for code addresses in thread dumps (core/dump.h): the function,
 * from the ELF symbol table of the object's file (.symtab, else .dynsym,
 * so static functions of a program that was not stripped are named too;
 * compat/elf_file.h), and the object. dladdr is not used: it takes the
 * loader's lock, which a thread stuck in a library's constructor holds,
 * and sees only exported names.
 *
 * Invariants: no lock but dl_iterate_phdr's (held only while the loader
 * adds or removes an object, never across program code), no malloc; the
 * files are mapped with mmap between mn_sym_begin and mn_sym_end, and the
 * names returned point into those mappings. One user at a time (the
 * dump's). */
#ifndef MN_CORE_SYMBOLIZE_H
#define MN_CORE_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

struct mn_sym {
    const char *func;      /* NULL: no symbol covers the address */
    uintptr_t off;         /* from the function's start */
    const char *object;    /* its file's name, without the directory ("?": none) */
    uintptr_t object_off;  /* pc's offset in the object (from its load bias) */
    bool mnrt;             /* in libmnrt.so itself */
    bool program;          /* in the program's executable */
};

void mn_sym_begin(void);
/* Names the code at pc (the instruction itself: pass a return address
 * minus one). */
void mn_sym_lookup(uintptr_t pc, struct mn_sym *out);
void mn_sym_end(void);
/* The addresses libmnrt.so is loaded at (its PT_LOAD segments). */
void mn_sym_mnrt_code(uintptr_t *lo, uintptr_t *hi);

#endif
