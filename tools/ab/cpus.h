/* CPU lists as taskset -c takes them and /proc/PID/status's
 * Cpus_allowed_list shows them: CPU numbers and ranges separated by
 * commas ("0", "0-3,6"). mnrt ab reads them from --server-cpus and
 * --load-cpus and from the server's /proc (where it was allowed to run),
 * and writes them in its reports. */
#ifndef MN_AB_CPUS_H
#define MN_AB_CPUS_H

#include <sched.h>
#include <stddef.h>

/* 0, or -1 when s is not such a list: empty, an empty item, a range that
 * runs backwards, a CPU of CPU_SETSIZE or more, a sign or a space. */
int ab_cpus_parse(const char *s, cpu_set_t *out);
/* "0-3,6"; "" for no CPU. */
void ab_cpus_format(const cpu_set_t *set, char *buf, size_t len);

#endif
