/* What dlsym(RTLD_NEXT, name) answers in libmnrt.so, without dlsym: the
 * first definition of name in the objects loaded after libmnrt, in the
 * loader's order (_r_debug's list), read from each object's dynamic
 * symbol table in memory (GNU or SysV hash), its default version where
 * it has several (a hidden, older version never), an IFUNC resolved.
 *
 * Why not dlsym: the real entry points are resolved on first use, which
 * may come from inside an allocator that is initialising itself (jemalloc
 * calls pthread_mutex_init and clock_gettime then), and glibc before 2.34
 * allocates on a thread's first dlsym: the allocation re-entered the
 * allocator, which re-entered the resolution, for good. This allocates
 * nothing and takes no lock.
 *
 * Objects dlopen'ed before the lookup are searched too, where dlsym would
 * skip them unless they were loaded RTLD_GLOBAL: the lookups are made
 * while the program starts, before it dlopen's anything that defines
 * glibc's names. Where nothing after libmnrt defines the name (libmnrt
 * itself dlopen'ed late, so last), the objects before it are searched. */
#ifndef MN_COMPAT_REAL_LOOKUP_H
#define MN_COMPAT_REAL_LOOKUP_H

/* The address of the next definition of the function name, or NULL. */
void *mn_real_lookup_next(const char *name);

#endif
