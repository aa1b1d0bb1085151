/* `mnrt ab`: what the A/B run measures and keeps, shared by the runner
 * (ab_main.c), the verdict (verdict.c) and the report (report.c). With
 * --load the user's command makes the load: one step per round and side,
 * whose requests/s and latencies are what that command printed (parsed by
 * loadparse.c; absent when not understood) and whose threads, memory and
 * CPU ab measures as for its own load. The server runs on --server-cpus,
 * ab itself (its load generator) and the user's commands on --load-cpus;
 * by default both on every CPU ab may use. */
#ifndef MN_AB_AB_H
#define MN_AB_AB_H

#include "hist.h"
#include "loadgen.h"

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AB_MAX_ROUNDS 20
#define AB_MAX_STEPS 16
#define AB_MAX_SERIES 4096
#define AB_MAX_FAILURES 32
#define AB_MAX_MARKS 64

enum ab_side { AB_NATIVE, AB_MNRT, AB_SIDES };

/* One side, one round, one connection count. */
struct ab_run {
    bool ok;
    bool load;                      /* made by --load: the figures below are its */
    bool has_rps;                   /* --load: requests/s understood */
    bool has_qps;                   /* --load: sysbench's queries/s */
    bool has_counts;                /* --load: requests and err_reported printed */
    const char *unit;               /* --load: what rps counts ("transactions"...), or NULL */
    double qps;
    double seconds;                 /* the measured window */
    int conns_served;               /* connections a reply came on in the window
                                     * (fewer than asked: a full accept queue...) */
    uint64_t requests;              /* --load: those it reported served */
    double rps;
    uint64_t p50, p75, p90, p95, p99, p999, max, mean; /* ns; --load: 0 was not printed */
    uint64_t err_connect, err_reset, err_timeout, err_bad;
    uint64_t err_reported;          /* --load: the errors it reported */
    int threads_max;
    double threads_mean;
    int processes_max;              /* of the process tree (a prefork server's master and workers) */
    int proc_threads_max;           /* the most kernel threads of one of them */
    long rss_max_kb;
    double user_s, sys_s;           /* CPU seconds in the window */
    long vcsw, ivcsw;               /* context switches in the window */
};

/* One side, one round: the idle connections held. */
struct ab_idle {
    bool ok;
    int answered;                   /* connections that made their request */
    int open;                       /* of those, still open (not closed by the server) */
    int threads;
    int processes, proc_threads;    /* as processes_max, proc_threads_max */
    long rss_kb;
    double cpu_s;                   /* CPU seconds while they were held */
    double hold_s;
};

/* One side, one round of --load: the command's output and how it ended. */
struct ab_loadrun {
    bool ran;
    bool timed_out;                 /* still running at --load-timeout: killed */
    int status;                     /* waitpid status */
    double seconds;
    char *output;                   /* its last AB_OUTPUT_MAX bytes (malloc'd) */
    unsigned long long output_bytes; /* all it printed */
    const char *format;             /* "wrk", "ab", "h2load", "sysbench" or NULL: not understood */
};

struct ab_point {
    double t;                       /* seconds since the server started */
    int threads;
    long rss_kb;
    bool gap;                       /* sampling paused before this point (ab was
                                     * opening connections or starting the load) */
};

/* Where a phase of the first round began (report.svg marks it). */
struct ab_mark {
    double t;
    char label[40];                 /* "100 conns", "5000 idle", "load" */
};

struct ab_config {
    char **server;
    const char *host;
    int port;
    enum ab_proto proto;
    int size;
    const char *path;
    int conns[AB_MAX_STEPS];
    int nsteps;
    int idle;
    double duration, warmup, rate, start_timeout;
    double load_timeout;            /* --load: kill the command after this long */
    int rounds, threads;
    const char *procs;
    const char *lib;
    const char *out;
    const char *load;               /* --load CMD, or NULL: ab's own load */
    const char *ready;              /* --ready CMD, or NULL: the port accepts */
    cpu_set_t server_cpus;          /* --server-cpus, else every CPU ab may use */
    cpu_set_t load_cpus;            /* --load-cpus, else the same */
    bool sides[AB_SIDES];
    enum { AB_QUIET, AB_LIVE, AB_LINES } progress; /* terminal: a live line; else a line per phase */
};

struct ab_result {
    struct ab_config cfg;
    struct ab_run run[AB_SIDES][AB_MAX_ROUNDS][AB_MAX_STEPS];
    struct ab_idle idle[AB_SIDES][AB_MAX_ROUNDS];
    struct ab_loadrun loadrun[AB_SIDES][AB_MAX_ROUNDS];
    struct ab_hist hist[AB_SIDES][AB_MAX_STEPS];  /* all rounds merged */
    struct ab_point series[AB_SIDES][AB_MAX_SERIES]; /* the first round's samples */
    int nseries[AB_SIDES];
    struct ab_mark marks[AB_SIDES][AB_MAX_MARKS];    /* and its phases */
    int nmarks[AB_SIDES];
    cpu_set_t server_seen[AB_SIDES]; /* the server's Cpus_allowed_list once it was first
                                      * ready (empty: it never was) */
    char failures[AB_MAX_FAILURES][640];
    int nfailures;
    int rounds_done;
};

/* verdict.c */
void ab_fail(struct ab_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* false, with a failure recorded, when more of the step's requests failed
 * than were served (port: the server's, still running, to probe it). */
bool ab_judge_step(struct ab_result *r, enum ab_side side, int round, int step, int port,
                   const struct ab_counts *k);
struct ab_parsed;
/* --load: false, with a failure recorded, when the command reported more
 * errors than requests served, or none served (wrk, h2load and sysbench
 * exit 0 then). */
bool ab_judge_load(struct ab_result *r, enum ab_side side, int round, const struct ab_parsed *p);

/* report.c */
void ab_report_table(const struct ab_result *r);
int ab_report_json(const struct ab_result *r, const char *path);
int ab_report_svg(const struct ab_result *r, const char *path);
const char *ab_side_name(enum ab_side s);
/* "AMD EPYC, 2 CPUs, Linux 6.18, glibc 2.36, FSGSBASE yes" */
void ab_machine(char *buf, size_t len);
/* what made the load: "echo, 64-byte messages, closed loop; 3 rounds of ..." */
void ab_describe_load(const struct ab_result *r, char *buf, size_t len);
/* where it ran: "server on CPU 0, load on CPU 1", "server and load share
 * CPUs 0-1", and a side whose server was seen allowed other CPUs */
void ab_describe_placement(const struct ab_result *r, char *buf, size_t len);

#endif
