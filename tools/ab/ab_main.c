/* `mnrt ab [options] -- SERVER ARGS...`: the same server natively and
 * under mnrt, the same load, several rounds in alternation (A B A B ...),
 * reported side by side. This file parses the command line and runs the
 * rounds; loadgen.c makes the load (or, with --load, the user's command
 * does: load.c, its figures read by loadparse.c), child.c starts and stops
 * the server, server.c waits until it is ready, procstat.c reads /proc,
 * verdict.c judges whether a step served, report.c prints and writes the
 * results, cpus.c reads and writes the CPU lists of --server-cpus and
 * --load-cpus.
 *
 * A server that does not accept connections in the first round ends the
 * run there (it will not in the next ones either); a side whose server
 * exits before it accepts is not started again in later rounds. */
#include "ab.h"
#include "cpus.h"
#include "launcher.h"
#include "load.h"
#include "loadparse.h"
#include "procstat.h"
#include "server.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define SAMPLE_NS (100ull * 1000000)
#define IDLE_SETTLE_S 1.0
#define IDLE_HOLD_S 2.0
#define GAP_S 0.25         /* a pause in sampling longer than this is a gap in the series */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mnrt ab [options] -- SERVER [ARGS...]\n"
            "       mnrt ab --demo [--out DIR]\n"
            "  -c N[,N...]       connection counts, one step each (default 100)\n"
            "  -d SECONDS        measured time per step (default 10)\n"
            "  --warmup SECONDS  load before measuring, per step (default 2)\n"
            "  --rounds N        native/mnrt rounds, alternating (default 3)\n"
            "  --proto echo|http|banner  the protocol (default echo); banner: for servers\n"
            "                    that speak first, a request is a new connection and its\n"
            "                    reply the server's greeting\n"
            "  --size BYTES      echo message size (default 64)\n"
            "  --path PATH       http path (default /)\n"
            "  --rate R          open loop: R requests/s in all (default: closed loop)\n"
            "  --idle N          also hold N idle connections, one request each\n"
            "  --port N          the server's port (default: found from its sockets)\n"
            "  --host ADDR       the server's address (default 127.0.0.1)\n"
            "  --threads N       load generator threads (default 2)\n"
            "  --start-timeout S how long the server may take to accept (default 15)\n"
            "  -p N              MNRT_PROCS for the mnrt side\n"
            "  --server-cpus LIST  the server's CPUs (both sides), as 0 or 0-3,6 (default:\n"
            "                    every CPU; mnrt sizes its processors from them)\n"
            "  --load-cpus LIST  the CPUs of the load: ab's generator, --load and --ready\n"
            "                    (default: every CPU)\n"
            "  --only native|mnrt  run one side only\n"
            "  --out DIR         write DIR/report.json and DIR/report.svg\n"
            "  --quiet           no progress (default: a live line on a terminal, else a\n"
            "                    line per phase on stderr)\n"
            "  --load 'CMD'      the load is CMD (wrk, ab, a script...), run natively by\n"
            "                    /bin/sh -c once per round and side; {host}, {port} and\n"
            "                    {duration} (-d) in it are replaced, MNRT_AB_HOST and\n"
            "                    MNRT_AB_PORT set; -c, --proto, --rate, --idle, --size,\n"
            "                    --path, --threads and --warmup do not apply\n"
            "  --load-timeout S  kill a load command still running after S seconds and\n"
            "                    fail the run (default: twice -d, plus 60)\n"
            "  --ready 'CMD'     the server is ready when CMD exits 0 (retried until\n"
            "                    --start-timeout), not when its port accepts\n"
            "  --demo            A/B of the bundled thread-per-connection demo server\n");
}

static int fail_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "mnrt ab: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    usage(stderr);
    return 2;
}

static bool parse_num(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || errno || end == s || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_conns(const char *s, struct ab_config *c)
{
    c->nsteps = 0;
    char *copy = strdup(s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double v;
        if (c->nsteps == AB_MAX_STEPS || !parse_num(tok, 1, 1000000, &v)) {
            free(copy);
            return false;
        }
        c->conns[c->nsteps++] = (int)v;
    }
    free(copy);
    return c->nsteps > 0;
}

/* --server-cpus, --load-cpus: a list of CPUs of `allowed` (those ab may
 * run on) into *out; 0, or the usage error. */
static int cpus_option(const char *a, const char *v, const cpu_set_t *allowed, cpu_set_t *out)
{
    char msg[512], list[256];
    cpu_set_t both;
    if (ab_cpus_parse(v, out) != 0) {
        snprintf(msg, sizeof msg, "%s '%s' is not a CPU list (as 0, or 0-3,6)", a, v);
        return fail_usage("%s", msg);
    }
    CPU_AND(&both, out, allowed);
    if (!CPU_EQUAL(&both, out)) {
        ab_cpus_format(allowed, list, sizeof list);
        snprintf(msg, sizeof msg, "%s %s: this process may run only on CPU%s %s", a, v,
                 CPU_COUNT(allowed) == 1 ? "" : "s", list);
        return fail_usage("%s", msg);
    }
    return 0;
}

/* The options of ab's own load generator (not for --load); false: a bad value. */
static bool own_option(const char *a, const char *v, struct ab_config *c)
{
    double d;
    if (strcmp(a, "-c") == 0)
        return parse_conns(v, c);
    if (strcmp(a, "--warmup") == 0 && parse_num(v, 0, 3600, &d))
        c->warmup = d;
    else if (strcmp(a, "--proto") == 0 && !strcmp(v, "echo"))
        c->proto = AB_ECHO;
    else if (strcmp(a, "--proto") == 0 && !strcmp(v, "http"))
        c->proto = AB_HTTP;
    else if (strcmp(a, "--proto") == 0 && !strcmp(v, "banner"))
        c->proto = AB_BANNER;
    else if (strcmp(a, "--size") == 0 && parse_num(v, 1, 65536, &d))
        c->size = (int)d;
    else if (strcmp(a, "--path") == 0 && v[0] == '/')
        c->path = v;
    else if (strcmp(a, "--rate") == 0 && parse_num(v, 1, 1e8, &d))
        c->rate = d;
    else if (strcmp(a, "--idle") == 0 && parse_num(v, 1, 1000000, &d))
        c->idle = (int)d;
    else if (strcmp(a, "--threads") == 0 && parse_num(v, 1, 64, &d))
        c->threads = (int)d;
    else
        return false;
    return true;
}

static int parse(int argc, char **argv, struct ab_config *c)
{
    static char *demo_argv[3];
    *c = (struct ab_config){.host = "127.0.0.1", .proto = AB_ECHO, .size = 64, .path = "/",
                            .conns = {100}, .nsteps = 1, .duration = 10, .warmup = 2, .start_timeout = 15,
                            .rounds = 3, .threads = 2, .sides = {true, true},
                            .progress = isatty(1) ? AB_LIVE : AB_LINES};
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        fprintf(stderr, "mnrt ab: cannot read the CPUs it may run on: %s\n", strerror(errno));
        return 1;
    }
    c->server_cpus = c->load_cpus = allowed;
    bool demo = false;
    const char *own_load = NULL; /* an option of ab's own load generator, given */
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--demo") == 0) {
            demo = true;
            continue;
        } else if (strcmp(a, "--quiet") == 0) {
            c->progress = AB_QUIET;
            continue;
        } else if (a[0] != '-') {
            break;
        } else if (!v) {
            return fail_usage("%s needs a value", a);
        } else if (strcmp(a, "--load") == 0 && *v) {
            c->load = v;
        } else if (strcmp(a, "--ready") == 0 && *v) {
            c->ready = v;
        } else if (!strcmp(a, "-c") || !strcmp(a, "--proto") || !strcmp(a, "--rate") ||
                   !strcmp(a, "--idle") || !strcmp(a, "--size") || !strcmp(a, "--path") ||
                   !strcmp(a, "--threads") || !strcmp(a, "--warmup")) {
            own_load = a;
            if (!own_option(a, v, c))
                return fail_usage("bad value for %s", a);
        } else if (strcmp(a, "-d") == 0 && parse_num(v, 0.1, 86400, &d)) {
            c->duration = d;
        } else if (strcmp(a, "--rounds") == 0 && parse_num(v, 1, AB_MAX_ROUNDS, &d)) {
            c->rounds = (int)d;
        } else if (strcmp(a, "--port") == 0 && parse_num(v, 1, 65535, &d)) {
            c->port = (int)d;
        } else if (strcmp(a, "--host") == 0) {
            c->host = v;
        } else if (strcmp(a, "--load-timeout") == 0 && parse_num(v, 0.1, 86400 * 7, &d)) {
            c->load_timeout = d;
        } else if (strcmp(a, "--start-timeout") == 0 && parse_num(v, 0.1, 3600, &d)) {
            c->start_timeout = d;
        } else if (strcmp(a, "-p") == 0 && parse_num(v, 1, 1024, &d)) {
            c->procs = v;
        } else if (strcmp(a, "--server-cpus") == 0 || strcmp(a, "--load-cpus") == 0) {
            bool server = strcmp(a, "--server-cpus") == 0;
            int err = cpus_option(a, v, &allowed, server ? &c->server_cpus : &c->load_cpus);
            if (err)
                return err;
        } else if (strcmp(a, "--only") == 0 && (!strcmp(v, "native") || !strcmp(v, "mnrt"))) {
            c->sides[AB_NATIVE] = strcmp(v, "native") == 0;
            c->sides[AB_MNRT] = !c->sides[AB_NATIVE];
        } else if (strcmp(a, "--out") == 0) {
            c->out = v;
        } else {
            return fail_usage("bad option or value near '%s'", a);
        }
        i++;
    }
    if (c->proto == AB_BANNER && c->rate)
        return fail_usage("--rate does not apply to --proto banner (a request is a new "
                          "connection: its pace is the server's)%s", "");
    if (c->load_timeout && !c->load)
        return fail_usage("--load-timeout is for --load commands%s", "");
    if (c->load && !c->load_timeout)
        c->load_timeout = 2 * c->duration + 60;
    if (c->load && own_load)
        return fail_usage("%s is an option of ab's own load generator: it does not apply "
                          "with --load (put it in the load command)", own_load);
    if (c->load) {
        c->nsteps = 1;
        c->conns[0] = 0;
        c->warmup = 0;
    }
    if (demo) {
        if (c->load || c->ready)
            return fail_usage("--demo makes its own load; drop --load and --ready%s", "");
        if (i < argc)
            return fail_usage("--demo runs its own server; drop '%s'", argv[i]);
        demo_argv[0] = mn_tool_find_demo_server();
        demo_argv[1] = "0";
        if (!demo_argv[0]) {
            fprintf(stderr, "mnrt ab: the demo server is not next to this mnrt binary\n");
            return 2;
        }
        c->server = demo_argv;
        c->conns[0] = 1000;
        c->nsteps = 1;
        c->idle = 5000;
        c->duration = 5;
        c->warmup = 1;
        c->rounds = 2;
        return 0;
    }
    if (i >= argc)
        return fail_usage("no server command (put it after --)%s", "");
    c->server = &argv[i];
    return 0;
}

/* ---- running one side ---- */

struct watch {
    struct ab_result *r;
    enum ab_side side;
    int round;
    struct ab_child *srv;
    uint64_t t0;
    int threads_max;
    double threads_sum;
    int samples;
    int processes_max, proc_threads_max;
    long rss_max;
    char said[64];          /* the phase of the last progress line */
};

/* On a terminal one line, rewritten; elsewhere a line when the phase
 * changes (a log of a long run, not a line per second). */
static void progress(struct watch *w, const char *phase, double left)
{
    const struct ab_config *c = &w->r->cfg;
    if (c->progress == AB_LIVE) {
        printf("\r\033[K[round %d/%d] %-6s %s", w->round + 1, c->rounds, ab_side_name(w->side),
               phase);
        if (left > 0)
            printf(", %.0f s left", left);
        fflush(stdout);
    } else if (c->progress == AB_LINES && strcmp(w->said, phase) != 0) {
        snprintf(w->said, sizeof w->said, "%s", phase);
        fprintf(stderr, "mnrt ab: round %d/%d %s: %s", w->round + 1, c->rounds,
                ab_side_name(w->side), phase);
        fprintf(stderr, left > 0 ? " (%.3g s)\n" : "\n", left);
    }
}

/* Waits `seconds`, or with load (--load) until that command exits but
 * at most `seconds`, sampling the server every 100 ms; false if the
 * server died. */
static bool watch_for(struct watch *w, double seconds, const char *phase, struct ab_child *load)
{
    uint64_t end = ab_now_ns() + (uint64_t)(seconds * 1e9);
    bool first = true; /* the sampling may have paused before this call, never within */
    for (;;) {
        if (!ab_child_alive(w->srv))
            return false;
        struct ab_proc p;
        ab_proc_sample(w->srv->pid, &p, false);
        if (p.threads > w->threads_max)
            w->threads_max = p.threads;
        if (p.rss_kb > w->rss_max)
            w->rss_max = p.rss_kb;
        if (p.processes > w->processes_max)
            w->processes_max = p.processes;
        if (p.proc_threads_max > w->proc_threads_max)
            w->proc_threads_max = p.proc_threads_max;
        w->threads_sum += p.threads;
        w->samples++;
        int *n = &w->r->nseries[w->side];
        if (w->round == 0 && *n < AB_MAX_SERIES) {
            struct ab_point *pt = &w->r->series[w->side][*n];
            *pt = (struct ab_point){.t = (double)(ab_now_ns() - w->t0) / 1e9,
                                    .threads = p.threads, .rss_kb = p.rss_kb};
            pt->gap = first && *n > 0 && pt->t - pt[-1].t > GAP_S;
            (*n)++;
        }
        first = false;
        uint64_t now = ab_now_ns();
        if (now >= end || (load && !ab_child_alive(load)))
            return true;
        progress(w, phase, load ? 0 : (double)(end - now) / 1e9);
        uint64_t nap = end - now < SAMPLE_NS ? end - now : SAMPLE_NS;
        usleep((useconds_t)(nap / 1000));
    }
}

/* The first round's phases, for report.svg. */
static void mark(struct watch *w, const char *label)
{
    int *k = &w->r->nmarks[w->side];
    if (w->round != 0 || *k == AB_MAX_MARKS)
        return;
    struct ab_mark *m = &w->r->marks[w->side][(*k)++];
    m->t = (double)(ab_now_ns() - w->t0) / 1e9;
    snprintf(m->label, sizeof m->label, "%s", label);
}

static void watch_reset(struct watch *w)
{
    w->threads_max = w->samples = 0;
    w->processes_max = w->proc_threads_max = 0;
    w->threads_sum = 0;
    w->rss_max = 0;
}

static struct ab_load load_of(const struct ab_config *c, int port, int conns)
{
    return (struct ab_load){.host = c->host, .port = port, .proto = c->proto, .size = c->size,
                            .path = c->path, .conns = conns, .rate = c->rate,
                            .threads = c->threads};
}

/* The server's last stderr lines, or a note that there were none. */
static const char *last_words(struct ab_child *srv)
{
    const char *e = ab_child_last_lines(srv, 5);
    return *e ? e : "(nothing on stderr)\n";
}

static void server_died(struct watch *w, const char *when)
{
    char how[128];
    ab_child_describe(w->srv, how, sizeof how);
    ab_fail(w->r, "%s round %d: the server %s during %s; its last stderr lines:\n%s",
            ab_side_name(w->side), w->round + 1, how, when, last_words(w->srv));
}

static bool run_step(struct watch *w, int port, int step)
{
    const struct ab_config *c = &w->r->cfg;
    struct ab_load load = load_of(c, port, c->conns[step]);
    char phase[64];
    snprintf(phase, sizeof phase, "%d conns", c->conns[step]);
    mark(w, phase);
    struct ab_gen *g = ab_gen_start(&load);
    if (!g) {
        ab_fail(w->r, "%s round %d: cannot start the load: %s", ab_side_name(w->side),
                w->round + 1, strerror(errno));
        return false;
    }
    snprintf(phase, sizeof phase, "%d conns, warm-up", c->conns[step]);
    bool alive = watch_for(w, c->warmup, phase, NULL);
    struct ab_proc before, after;
    ab_gen_reset(g);
    ab_proc_sample(w->srv->pid, &before, true);
    uint64_t t0 = ab_now_ns();
    watch_reset(w);
    snprintf(phase, sizeof phase, "%d conns, measuring", c->conns[step]);
    alive = alive && watch_for(w, c->duration, phase, NULL);
    struct ab_counts counts;
    ab_gen_counts(g, &counts);
    double secs = (double)(ab_now_ns() - t0) / 1e9;
    ab_proc_sample(w->srv->pid, &after, true);
    long vcsw, ivcsw;
    ab_proc_switches(&before, &after, &vcsw, &ivcsw);
    ab_gen_stop(g);
    if (!alive) {
        server_died(w, phase);
        return false;
    }
    struct ab_run *run = &w->r->run[w->side][w->round][step];
    const struct ab_hist *h = &counts.hist;
    *run = (struct ab_run){
        .ok = true, .seconds = secs, .conns_served = counts.conns_served,
        .requests = counts.requests,
        .rps = (double)counts.requests / secs,
        .p50 = ab_hist_pct(h, 0.50), .p75 = ab_hist_pct(h, 0.75), .p90 = ab_hist_pct(h, 0.90),
        .p95 = ab_hist_pct(h, 0.95), .p99 = ab_hist_pct(h, 0.99),
        .p999 = ab_hist_pct(h, 0.999), .max = h->max, .mean = h->count ? h->sum / h->count : 0,
        .err_connect = counts.err_connect, .err_reset = counts.err_reset,
        .err_timeout = counts.err_timeout, .err_bad = counts.err_bad,
        .threads_max = w->threads_max,
        .threads_mean = w->samples ? w->threads_sum / w->samples : 0,
        .processes_max = w->processes_max, .proc_threads_max = w->proc_threads_max,
        .rss_max_kb = w->rss_max, .user_s = after.user_s - before.user_s,
        .sys_s = after.sys_s - before.sys_s, .vcsw = vcsw, .ivcsw = ivcsw};
    ab_hist_merge(&w->r->hist[w->side][step], h);
    ab_judge_step(w->r, w->side, w->round, step, port, &counts);
    return true;
}

/* --load: the user's command is the load, one step; its output is kept,
 * its figures parsed, and its failure fails the run. */
static bool run_load(struct watch *w, const char *host, int port)
{
    const struct ab_config *c = &w->r->cfg;
    struct ab_loadrun *lr = &w->r->loadrun[w->side][w->round];
    static struct ab_child load; /* large: its output buffer */
    char why[256];
    struct ab_proc before, after;
    watch_reset(w);
    ab_proc_sample(w->srv->pid, &before, true);
    uint64_t t0 = ab_now_ns();
    mark(w, "load");
    if (ab_shell_start(&load, c->load, host, port, c->duration, why, sizeof why) != 0) {
        ab_fail(w->r, "%s round %d: cannot start the load command: %s", ab_side_name(w->side),
                w->round + 1, why);
        free(before.tasks);
        return false;
    }
    bool alive = watch_for(w, c->load_timeout, "load command running", &load);
    double secs = (double)(ab_now_ns() - t0) / 1e9;
    ab_proc_sample(w->srv->pid, &after, true);
    long vcsw, ivcsw;
    ab_proc_switches(&before, &after, &vcsw, &ivcsw);
    bool hung = ab_child_alive(&load);
    ab_child_stop(&load);
    *lr = (struct ab_loadrun){.ran = true, .timed_out = hung, .status = load.status,
                              .seconds = secs, .output = strdup(load.out),
                              .output_bytes = load.out_total};
    if (!alive && !hung) {
        server_died(w, "the load command");
        return false;
    }
    char how[128];
    ab_child_describe(&load, how, sizeof how);
    if (hung) {
        ab_fail(w->r, "%s round %d: the load command did not finish within %g s "
                      "(--load-timeout): mnrt ab stopped it (it %s); it is not run again on "
                      "this side; its last output lines:\n%s",
                ab_side_name(w->side), w->round + 1, c->load_timeout, how,
                *load.out ? ab_child_last_lines(&load, 8) : "(no output)\n");
        return false;
    }
    if (ab_child_failed(&load)) {
        ab_fail(w->r, "%s round %d: the load command %s; its last output lines:\n%s",
                ab_side_name(w->side), w->round + 1, how,
                *load.out ? ab_child_last_lines(&load, 8) : "(no output)\n");
        return false;
    }
    struct ab_parsed p;
    ab_parse_load(load.out, &p);
    lr->format = p.format;
    w->r->run[w->side][w->round][0] = (struct ab_run){
        .ok = true, .load = true, .has_rps = p.has_rps, .has_qps = p.has_qps,
        .has_counts = p.has_counts, .unit = p.unit, .qps = p.qps, .seconds = secs,
        .requests = p.served, .rps = p.rps, .p50 = p.p50, .p75 = p.p75, .p90 = p.p90,
        .p95 = p.p95, .p99 = p.p99, .p999 = p.p999, .max = p.max, .mean = p.mean,
        .err_reported = p.errors,
        .threads_max = w->threads_max,
        .threads_mean = w->samples ? w->threads_sum / w->samples : 0,
        .processes_max = w->processes_max, .proc_threads_max = w->proc_threads_max,
        .rss_max_kb = w->rss_max, .user_s = after.user_s - before.user_s,
        .sys_s = after.sys_s - before.sys_s, .vcsw = vcsw, .ivcsw = ivcsw};
    ab_judge_load(w->r, w->side, w->round, &p);
    return true;
}

static void run_idle(struct watch *w, int port)
{
    const struct ab_config *c = &w->r->cfg;
    struct ab_load load = load_of(c, port, c->idle);
    struct ab_counts counts;
    int open;
    progress(w, "opening idle connections", 0);
    char label[40];
    snprintf(label, sizeof label, "%d idle", c->idle);
    mark(w, label);
    int *fds = ab_idle_open(&load, c->idle, &counts, &open);
    if (!fds) {
        ab_fail(w->r, "%s round %d: cannot open %d idle connections", ab_side_name(w->side),
                w->round + 1, c->idle);
        return;
    }
    bool alive = watch_for(w, IDLE_SETTLE_S, "idle connections, settling", NULL);
    struct ab_proc before, after;
    ab_proc_sample(w->srv->pid, &before, false);
    watch_reset(w);
    alive = alive && watch_for(w, IDLE_HOLD_S, "idle connections, holding", NULL);
    ab_proc_sample(w->srv->pid, &after, false);
    ab_idle_close(fds, c->idle);
    if (!alive) {
        server_died(w, "the idle connections");
        return;
    }
    w->r->idle[w->side][w->round] = (struct ab_idle){
        .ok = true, .answered = (int)counts.requests, .open = open, .threads = w->threads_max,
        .processes = w->processes_max, .proc_threads = w->proc_threads_max,
        .rss_kb = w->rss_max, .cpu_s = (after.user_s + after.sys_s) - (before.user_s + before.sys_s),
        .hold_s = IDLE_HOLD_S};
}

/* STARTED: the side may run again in the next round; LOAD_HUNG: its
 * load command had to be killed (it would hang again) */
enum started { STARTED, DIED_AT_START, NEVER_READY, LOAD_HUNG };

static enum started run_side(struct ab_result *r, enum ab_side side, int round)
{
    const struct ab_config *c = &r->cfg;
    static struct ab_child srv; /* large: its output buffer */
    char why[1024];
    struct watch w = {.r = r, .side = side, .round = round, .srv = &srv};
    progress(&w, "starting the server", 0);
    struct ab_spawn how = {.argv = c->server, .lib = side == AB_MNRT ? c->lib : NULL,
                           .procs = side == AB_MNRT ? c->procs : NULL, .cpus = &c->server_cpus};
    if (ab_child_start(&srv, &how, why, sizeof why) != 0) {
        ab_fail(r, "%s round %d: %s", ab_side_name(side), round + 1, why);
        return DIED_AT_START;
    }
    w.t0 = ab_now_ns();
    int port = ab_server_ready(&srv, c->host, c->port, c->ready, c->start_timeout, why, sizeof why);
    if (port < 0) {
        ab_child_stop(&srv);
        ab_fail(r, "%s round %d: %s; its last stderr lines:\n%s", ab_side_name(side), round + 1,
                why, last_words(&srv));
        return port == AB_NEVER_READY ? NEVER_READY : DIED_AT_START;
    }
    if (!CPU_COUNT(&r->server_seen[side]))
        ab_proc_cpus(srv.pid, &r->server_seen[side]);
    bool ok = true;
    if (c->load)
        ok = run_load(&w, c->host, port);
    for (int s = 0; s < c->nsteps && ok && !c->load; s++)
        ok = run_step(&w, port, s);
    if (ok && c->idle)
        run_idle(&w, port);
    ab_child_stop(&srv);
    return r->loadrun[side][round].timed_out ? LOAD_HUNG : STARTED;
}

/* fds: the largest step or the idle set, and the server's own */
static void raise_fd_limit(const struct ab_config *c)
{
    int need = c->idle + 64;
    for (int s = 0; s < c->nsteps; s++)
        if (c->conns[s] + 64 > need)
            need = c->conns[s] + 64;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < (rlim_t)need)
        fprintf(stderr, "mnrt ab: warning: %d connections need %d fds, the limit is %ld "
                        "(raise it with ulimit -n)\n", need - 64, need, (long)rl.rlim_cur);
}

int mn_ab_main(int argc, char **argv)
{
    struct ab_result *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "mnrt ab: out of memory\n");
        return 1;
    }
    int err = parse(argc, argv, &r->cfg);
    if (err)
        return err;
    struct ab_config *c = &r->cfg;
    if (c->sides[AB_MNRT] && !(c->lib = mn_tool_find_library()))
        return 127;
    /* ab's threads (its load generator's, started later, inherit this) and
     * the commands it starts run on --load-cpus */
    if (sched_setaffinity(0, sizeof c->load_cpus, &c->load_cpus) != 0) {
        fprintf(stderr, "mnrt ab: cannot run on --load-cpus: %s\n", strerror(errno));
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(c);
    bool run[AB_SIDES] = {c->sides[AB_NATIVE], c->sides[AB_MNRT]}, never_ready = false;
    for (int round = 0; round < c->rounds && !never_ready; round++) {
        for (enum ab_side side = 0; side < AB_SIDES && !never_ready; side++) {
            if (!run[side])
                continue;
            enum started st = run_side(r, side, round);
            run[side] = st == STARTED || (round > 0 && st != LOAD_HUNG);
            never_ready = st == NEVER_READY && round == 0;
        }
        r->rounds_done = round + 1;
    }
    if (c->progress == AB_LIVE)
        printf("\r\033[K");
    ab_report_table(r);
    if (c->out) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/report.json", c->out);
        if (ab_report_json(r, path) != 0)
            fprintf(stderr, "mnrt ab: cannot write %s: %s\n", path, strerror(errno));
        snprintf(path, sizeof path, "%s/report.svg", c->out);
        if (ab_report_svg(r, path) != 0)
            fprintf(stderr, "mnrt ab: cannot write %s: %s\n", path, strerror(errno));
    }
    if (never_ready)
        fprintf(stderr, "mnrt ab: the server was never ready (%s): the run stopped after "
                        "the first wait\n", c->ready ? "--ready never succeeded" : "it never accepted connections");
    else if (r->nfailures)
        fprintf(stderr, "mnrt ab: the run failed (%d problem%s, listed above)\n", r->nfailures,
                r->nfailures == 1 ? "" : "s");
    int status = r->nfailures ? 1 : 0;
    for (enum ab_side s = 0; s < AB_SIDES; s++)
        for (int i = 0; i < AB_MAX_ROUNDS; i++)
            free(r->loadrun[s][i].output);
    free(r);
    return status;
}
