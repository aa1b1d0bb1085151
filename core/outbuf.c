/* Report output: see outbuf.h. */
#include "core/outbuf.h"

#include "compat/raw_syscall.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>

void mn_out_flush(struct mn_out *o)
{
    for (size_t done = 0; done < o->len && !o->err;) {
        long r = o->sock ? mn_raw_syscall(SYS_sendto, o->fd, o->buf + done, o->len - done,
                                          MSG_NOSIGNAL, NULL, 0)
                         : mn_raw_syscall(SYS_write, o->fd, o->buf + done, o->len - done);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            o->err = r < 0 ? (int)-r : EIO;
        else
            done += (size_t)r;
    }
    o->len = 0;
}

void mn_out_put(struct mn_out *o, const char *fmt, ...)
{
    if (o->len > sizeof o->buf - 1024)
        mn_out_flush(o);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n < sizeof o->buf - o->len ? (size_t)n : sizeof o->buf - o->len - 1;
}
