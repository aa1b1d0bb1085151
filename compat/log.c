/* stderr messages: see log.h. */
#include "compat/log.h"

#include "compat/raw_syscall.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

static void vemit(const char *prefix, const char *fmt, va_list ap)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s", prefix);
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof buf - 2)
        len = sizeof buf - 2;
    buf[len++] = '\n';
    /* raw system call: the libc write may be interposed by mnrt itself */
    mn_raw_syscall(SYS_write, 2, buf, len);
}

void mn_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit("mnrt: ", fmt, ap);
    va_end(ap);
}

void mn_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit("mnrt: fatal: ", fmt, ap);
    va_end(ap);
    abort();
}
