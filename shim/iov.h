/* A cursor over a copy of an iovec array, advanced past what a partial
 * write (or a partial MSG_WAITALL read) consumed. The program's own array
 * is never modified. */
#ifndef MN_SHIM_IOV_H
#define MN_SHIM_IOV_H

#include "core/mem.h"

#include <stddef.h>
#include <sys/uio.h>

struct mn_iovcur {
    struct iovec *v;       /* the remaining entries */
    int n;
    struct mn_buf large;   /* when the array is large (core/mem.h) */
    struct iovec small[8];
};

/* 0, or -1 when out of memory. */
int mn_iovcur_init(struct mn_iovcur *c, const struct iovec *iov, int cnt);
void mn_iovcur_advance(struct mn_iovcur *c, size_t bytes);
void mn_iovcur_free(struct mn_iovcur *c);
size_t mn_iov_total(const struct iovec *iov, int cnt);

#endif
