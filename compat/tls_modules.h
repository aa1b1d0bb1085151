/* Static TLS of libraries dlopen'ed after Gs exist (docs/glibc-facts.md
 * §5): a module with initial-exec TLS gets a block in the static TLS
 * area of every thread, and glibc copies its initial image only into the
 * threads on its own lists, not into Gs. After each dlopen, mnrt finds
 * the modules with a static block it has not seen and copies their images
 * into every live G's TCB itself. (Recycled TCBs get all images anew from
 * _dl_allocate_tls_init.) */
#ifndef MN_COMPAT_TLS_MODULES_H
#define MN_COMPAT_TLS_MODULES_H

#include <stddef.h>

struct mn_tls_image {
    ptrdiff_t offset;        /* the block starts at tcb - offset */
    const void *init;
    size_t filesz, memsz;
};

/* Marks every module loaded now as seen (at boot). Returns NULL, or why
 * it cannot follow modules on this glibc. */
const char *mn_tls_modules_boot(void);
/* Collects up to max modules with static TLS not seen before and marks
 * them seen; returns how many. */
int mn_tls_modules_new(struct mn_tls_image *out, int max);
/* Copies the images into a TCB. */
void mn_tls_modules_apply(void *tcb, const struct mn_tls_image *mods, int n);

#endif
