/* glibc's own thread-specific data in a G's TCB: the values of keys that
 * glibc made for itself with its own pthread_key_create (the program's
 * keys are mnrt's, shim/key.c). glibc 2.31 keeps per-thread state behind
 * such keys: libdl's dlerror result (calloc'ed at a thread's first
 * dlopen or dlsym) and strsignal's buffer; 2.32+ keeps those in struct
 * pthread and TLS instead, and makes no keys for itself. glibc's thread
 * exit runs the keys' destructors (__nptl_deallocate_tsd, not exported);
 * a G's exit does the same (mn_glibc_keys_free), so that nothing is left
 * behind when the G's memory is given back (core/gblock.h).
 *
 * The layout is read from libthread_db's descriptors, as a debugger
 * reads a thread's keys (compat/glibc_syms.h): the key table
 * __pthread_keys ({seq, destr} each), struct pthread_key_data ({seq,
 * data}), the second-level blocks, and struct pthread.specific (the
 * first-level array; its entry 0 is specific_1stblock, in the TCB). Boot
 * refuses when one is missing.
 *
 * Invariants: mn_glibc_keys_free runs on the G whose TCB it is given (a
 * destructor clears its value with glibc's setspecific on the calling
 * thread), as glibc runs them: a value counts if its sequence number is
 * its key's, at most PTHREAD_DESTRUCTOR_ITERATIONS rounds, then the
 * second-level blocks are freed. glibc takes the lowest free key, so
 * while key 0 has never been made there are no values to look at (the
 * common case, which exit then skips: the walk touched ~550 B of a cold
 * TCB, 11% of tools/bench create_join). */
#ifndef MN_COMPAT_GLIBC_KEYS_H
#define MN_COMPAT_GLIBC_KEYS_H

/* Reads the layout. Returns NULL, or what glibc does not describe. At
 * boot, on the main thread. */
const char *mn_glibc_keys_boot(void);

/* Runs the destructors of glibc's keys for the values in tcb, the calling
 * G's, and frees its second-level blocks. */
void mn_glibc_keys_free(char *tcb);

#endif
