/* iovec cursors: see iov.h. */
#include "shim/iov.h"

#include <stdlib.h>
#include <string.h>

int mn_iovcur_init(struct mn_iovcur *c, const struct iovec *iov, int cnt)
{
    c->large.p = NULL;
    c->v = c->small;
    if (cnt < 0)
        cnt = 0;
    if ((size_t)cnt > sizeof c->small / sizeof c->small[0]) {
        c->v = mn_buf_get(&c->large, (size_t)cnt * sizeof *c->v);
        if (!c->v)
            return -1;
    }
    if (cnt)
        memcpy(c->v, iov, (size_t)cnt * sizeof *iov);
    c->n = cnt;
    mn_iovcur_advance(c, 0); /* skip leading empty entries */
    return 0;
}

void mn_iovcur_advance(struct mn_iovcur *c, size_t bytes)
{
    while (c->n > 0 && bytes >= c->v[0].iov_len) {
        bytes -= c->v[0].iov_len;
        c->v++;
        c->n--;
    }
    if (c->n > 0) {
        c->v[0].iov_base = (char *)c->v[0].iov_base + bytes;
        c->v[0].iov_len -= bytes;
    }
}

void mn_iovcur_free(struct mn_iovcur *c)
{
    if (c->large.p)
        mn_buf_put(&c->large);
}

size_t mn_iov_total(const struct iovec *iov, int cnt)
{
    size_t t = 0;
    for (int i = 0; i < cnt; i++)
        t += iov[i].iov_len;
    return t;
}
