/* Settings from the environment and the default number of Ps: see config.h. */
#include "core/config.h"

#include "compat/log.h"
#include "core/cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PROCS 1024

struct mn_config mn_config;

static int parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int mn_parse_procs(const char *s, int *out)
{
    long v;
    if (parse_long(s, 1, MAX_PROCS, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

int mn_parse_size(const char *s, size_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    unsigned long long mul = 1;
    switch (*end) {
    case 0: break;
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    default: return -1;
    }
    if (*end || v > (1ull << 40) / mul)
        return -1;
    v *= mul;
    if (v < (unsigned long long)PTHREAD_STACK_MIN)
        return -1;
    *out = (size_t)v;
    return 0;
}

int mn_parse_debug(const char *s, int64_t *schedtrace_ms, bool *scheddetail,
                   bool *asyncpreempt, bool *cputime, int64_t *randomize)
{
    int64_t trace = 0, seed = -1;
    bool detail = false, async = true, cpu = false;
    const char *p = *s ? s : NULL;
    while (p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (len == 0 || len >= sizeof item)
            return -1;
        memcpy(item, p, len);
        item[len] = 0;
        char *eq = strchr(item, '=');
        if (!eq && strcmp(item, "1") == 0) {
            p = comma ? comma + 1 : NULL;
            continue;
        }
        if (!eq)
            return -1;
        *eq = 0;
        long v;
        if (strcmp(item, "schedtrace") == 0 && parse_long(eq + 1, 0, 3600000, &v) == 0)
            trace = v;
        else if (strcmp(item, "scheddetail") == 0 && parse_long(eq + 1, 0, 1, &v) == 0)
            detail = v == 1;
        else if (strcmp(item, "asyncpreempt") == 0 && parse_long(eq + 1, 0, 1, &v) == 0)
            async = v == 1;
        else if (strcmp(item, "cputime") == 0 && parse_long(eq + 1, 0, 1, &v) == 0)
            cpu = v == 1;
        else if (strcmp(item, "randomize") == 0 && parse_long(eq + 1, 0, LONG_MAX, &v) == 0)
            seed = v;
        else
            return -1;
        p = comma ? comma + 1 : NULL;
    }
    *schedtrace_ms = trace;
    *scheddetail = detail;
    *asyncpreempt = async;
    *cputime = cpu;
    *randomize = seed;
    return 0;
}

int mn_procs_auto(void)
{
    cpu_set_t set;
    int cpus = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cpus = CPU_COUNT(&set);
    if (cpus <= 0)
        cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus <= 0)
        cpus = 1;
    int procs = cpus;
    struct mn_cgroup_roots roots = {"", "", ""};
    long millis = mn_cgroup_cpu_limit_millis(&roots);
    if (millis > 0) {
        int limit = mn_cgroup_procs_from_millis(millis);
        if (limit < procs)
            procs = limit;
    }
    if (cpus >= 2 && procs < 2)
        procs = 2;
    if (procs > MAX_PROCS)
        procs = MAX_PROCS;
    return procs;
}

void mn_config_load(void)
{
    const char *v = getenv("MNRT_PROCS");
    mn_config.procs = 0;
    if (v && mn_parse_procs(v, &mn_config.procs) < 0) {
        mn_warn("MNRT_PROCS=%s is not a number from 1 to %d; using the default", v,
                MAX_PROCS);
        mn_config.procs = 0;
    }
    mn_config.procs_fixed = mn_config.procs != 0;

    v = getenv("MNRT_DEBUG");
    mn_config.debug = v != NULL;
    mn_config.asyncpreempt = true;
    mn_config.randomize = -1;
    if (v && mn_parse_debug(v, &mn_config.schedtrace_ms, &mn_config.scheddetail,
                            &mn_config.asyncpreempt, &mn_config.cputime,
                            &mn_config.randomize) < 0) {
        mn_warn("MNRT_DEBUG=%s is not understood (expected 1, or a comma-separated list of "
                "schedtrace=MS, scheddetail=1, asyncpreempt=0, cputime=1, randomize=SEED); "
                "ignoring it", v);
        mn_config.schedtrace_ms = 0;
        mn_config.scheddetail = false;
        mn_config.asyncpreempt = true;
        mn_config.cputime = false;
        mn_config.randomize = -1;
    }

    v = getenv("MNRT_POLLER");
    mn_config.poller = MN_POLLER_URING;
    if (v && strcmp(v, "epoll") == 0)
        mn_config.poller = MN_POLLER_EPOLL;
    else if (v && strcmp(v, "uring") != 0 && strcmp(v, "io_uring") != 0)
        mn_warn("MNRT_POLLER=%s is not uring or epoll; using io_uring", v);

    v = getenv("MNRT_TRACE");
    mn_config.trace_file = v && *v ? v : NULL;
    if (v && !*v)
        mn_warn("MNRT_TRACE is empty (it names the file of the execution trace); no trace");

    v = getenv("MNRT_STACK");
    if (v && mn_parse_size(v, &mn_config.default_stack) < 0) {
        mn_warn("MNRT_STACK=%s is not a size of at least %d bytes (e.g. 256K, 8M); "
                "using glibc's default", v, (int)PTHREAD_STACK_MIN);
        mn_config.default_stack = 0;
    }
}
