/* CPU lists: see cpus.h. */
#include "cpus.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

/* A CPU number at *s (digits only: no sign, no spaces), *s moved past it. */
static int number(const char **s)
{
    if (!isdigit((unsigned char)**s))
        return -1;
    char *end;
    long v = strtol(*s, &end, 10);
    *s = end;
    return v < CPU_SETSIZE ? (int)v : -1;
}

int ab_cpus_parse(const char *s, cpu_set_t *out)
{
    CPU_ZERO(out);
    for (;;) {
        int lo = number(&s), hi = lo;
        if (*s == '-') {
            s++;
            hi = number(&s);
        }
        if (lo < 0 || hi < lo)
            return -1;
        for (int cpu = lo; cpu <= hi; cpu++)
            CPU_SET(cpu, out);
        if (*s != ',')
            return *s ? -1 : 0;
        s++;
    }
}

void ab_cpus_format(const cpu_set_t *set, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && n < len; cpu++) {
        if (!CPU_ISSET(cpu, set))
            continue;
        int last = cpu;
        while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, set))
            last++;
        int w = last == cpu ? snprintf(buf + n, len - n, "%s%d", n ? "," : "", cpu)
                            : snprintf(buf + n, len - n, "%s%d-%d", n ? "," : "", cpu, last);
        n += (size_t)w;
        cpu = last;
    }
}
