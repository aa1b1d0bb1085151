/* What the running glibc says about itself: its data symbols, looked up in
 * glibc's own libraries only (libc.so.6, the dynamic loader, and
 * libpthread.so.0 where it is a library of its own, before 2.34), so that
 * neither a preloaded library nor an executable's copy relocation stands
 * in for glibc's definition. A name is looked for among a library's
 * dynamic symbols (dlsym), then in its file's full symbol table (.symtab):
 * glibc 2.31 keeps libthread_db's descriptors (`_thread_db_*`) as local
 * symbols of libpthread.so.0, which Debian leaves unstripped for
 * debuggers; the file is used only if its program headers are the ones
 * the loader mapped (the same file).
 *
 * Invariants: used at boot only, on the main thread; the files mapped for
 * .symtab lookups stay mapped until mn_glibc_syms_release. */
#ifndef MN_COMPAT_GLIBC_SYMS_H
#define MN_COMPAT_GLIBC_SYMS_H

/* The address of glibc's own definition of the data object `name`, or
 * NULL if none of glibc's libraries defines it. */
const void *mn_glibc_data(const char *name);

/* Unmaps the files mapped for lookups. */
void mn_glibc_syms_release(void);

#endif
