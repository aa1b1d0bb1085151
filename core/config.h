/* The runtime's settings, read once at boot from the environment
 * (README, "Using it"): MNRT_PROCS, MNRT_DEBUG=1 or a comma-separated list of
 * schedtrace=MS, scheddetail=1, asyncpreempt=0 (no preemption by signal,
 * as Go's GODEBUG=asyncpreemptoff=1), cputime=1 (per-thread CPU time
 * accounted from the start, cputime.h) and randomize=SEED (randomized
 * scheduling, randomize.h), MNRT_STACK=SIZE,
 * MNRT_POLLER=uring|epoll, MNRT_TRACE=FILE (the execution trace,
 * exectrace.h). A malformed value gets one `mnrt: ...` warning and the
 * default. Read-only after boot. */
#ifndef MN_CORE_CONFIG_H
#define MN_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mn_poller_choice { MN_POLLER_URING, MN_POLLER_EPOLL };

struct mn_config {
    int procs;               /* number of Ps set by MNRT_PROCS; 0: one at boot,
                              * then from the affinity and the cgroup's limit
                              * (mn_procs_size) */
    bool procs_fixed;        /* set by MNRT_PROCS: do not follow the cgroup */
    int64_t schedtrace_ms;   /* 0: no scheduler trace */
    bool scheddetail;
    bool asyncpreempt;       /* preempt by signal (preempt.h); default on */
    bool cputime;            /* account per-G CPU time from boot (cputime.h) */
    int64_t randomize;       /* randomized scheduling's seed (randomize.h); -1: off */
    size_t default_stack;    /* 0: glibc's default */
    enum mn_poller_choice poller;
    bool debug;              /* MNRT_DEBUG is set: say what mnrt chose */
    const char *trace_file;  /* MNRT_TRACE, or NULL: no execution trace */
};

extern struct mn_config mn_config;

void mn_config_load(void);

/* The default number of Ps: CPUs in the affinity mask, lowered to the
 * cgroup CPU limit rounded up, at least 2 when the machine has 2 or more. */
int mn_procs_auto(void);

/* Parsers, exposed for the unit tests. Return 0 or -1 (malformed). */
int mn_parse_procs(const char *s, int *out);
int mn_parse_size(const char *s, size_t *out);
int mn_parse_debug(const char *s, int64_t *schedtrace_ms, bool *scheddetail,
                   bool *asyncpreempt, bool *cputime, int64_t *randomize);

#endif
