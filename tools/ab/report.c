/* The A/B report: the table on stdout (native | mnrt | mnrt/native, each
 * cell the median over rounds with [min-max]), DIR/report.json with every
 * figure (fields listed in tools/ab/README.md), and DIR/report.svg: the
 * latency distribution of both sides, their kernel threads and resident
 * memory over time. With --load the requests/s and latencies are those
 * the load command printed, "(see load output)" where not understood;
 * its output and exit status are in report.json. Each says where the
 * server and the load ran (--server-cpus, --load-cpus) and, when it
 * differs, where the server was seen allowed to run (/proc). */
#include "ab.h"
#include "cpus.h"

#include <errno.h>
#include <gnu/libc-version.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *ab_side_name(enum ab_side s)
{
    return s == AB_NATIVE ? "native" : "mnrt";
}

void ab_machine(char *buf, size_t len)
{
    char model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            if (colon) {
                snprintf(model, sizeof model, "%s", colon + 2);
                model[strcspn(model, "\n")] = 0;
            }
            break;
        }
    if (f)
        fclose(f);
    struct utsname u;
    uname(&u);
    /* Without FSGSBASE every switch between threads costs mnrt a system
     * call (arch_prctl): the figures depend on it. */
    bool fsgsbase = getauxval(AT_HWCAP2) & 2;
    snprintf(buf, len, "%s, %ld CPUs, Linux %s, glibc %s, FSGSBASE %s", model,
             sysconf(_SC_NPROCESSORS_ONLN), u.release, gnu_get_libc_version(),
             fsgsbase ? "yes" : "no (thread switches use arch_prctl)");
}

/* ---- statistics over rounds ---- */

typedef double (*getter)(const struct ab_run *);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stat3 {
    int n;
    int none;               /* rounds without the figure (latency of no reply) */
    double med, min, max;
};

/* median, min and max of v[0..n) (NaN: a round without the figure) */
static struct stat3 stat_of(double *v, int n)
{
    struct stat3 st = {0};
    for (int i = 0; i < n; i++)
        if (isnan(v[i]))
            st.none++;
        else
            v[st.n++] = v[i];
    n = st.n;
    if (!n)
        return st;
    qsort(v, (size_t)n, sizeof v[0], cmp_double);
    st.min = v[0];
    st.max = v[n - 1];
    st.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return st;
}

static struct stat3 over_rounds(const struct ab_result *r, enum ab_side s, int step, getter get)
{
    double v[AB_MAX_ROUNDS];
    int n = 0;
    for (int i = 0; i < r->rounds_done; i++)
        if (r->run[s][i][step].ok)
            v[n++] = get(&r->run[s][i][step]);
    return stat_of(v, n);
}

#define GETTER(name, expr)                                                     \
    static double name(const struct ab_run *x) { return (double)(expr); }
GETTER(g_rps, x->load && !x->has_rps ? NAN : x->rps)
/* no reply, no latency (not "0 us"); --load: 0 is a figure it did not print */
#define LATENCY(name, field) GETTER(name, (x->load ? x->field : x->requests) ? (double)x->field : NAN)
LATENCY(g_mean, mean)
LATENCY(g_p75, p75)
LATENCY(g_p95, p95)
GETTER(g_qps, x->has_qps ? x->qps : NAN)
GETTER(g_reported, x->has_counts ? (double)x->err_reported : NAN)
LATENCY(g_p50, p50)
LATENCY(g_p90, p90)
LATENCY(g_p99, p99)
LATENCY(g_p999, p999)
LATENCY(g_max, max)
GETTER(g_errors, x->err_connect + x->err_reset + x->err_timeout + x->err_bad)
GETTER(g_threads, x->threads_max)
GETTER(g_proc_threads, x->proc_threads_max)
GETTER(g_procs, x->processes_max)
GETTER(g_rss, x->rss_max_kb)
/* Each kernel thread also has a 16 KiB kernel stack (x86-64), which RSS
 * does not show: the memory a thread-per-connection server really costs. */
GETTER(g_mem, x->rss_max_kb + 16L * x->threads_max)
GETTER(g_cpu, (x->user_s + x->sys_s) / x->seconds)
GETTER(g_csw, (double)(x->vcsw + x->ivcsw) / x->seconds)
GETTER(g_seconds, x->seconds)
GETTER(g_served, x->conns_served)

enum unit { U_RATE, U_TIME, U_COUNT, U_KB, U_CORES };

static void fmt(char *buf, size_t len, double v, enum unit u)
{
    switch (u) {
    case U_RATE:
        if (v >= 1e6)
            snprintf(buf, len, "%.2fM", v / 1e6);
        else if (v >= 1e3)
            snprintf(buf, len, "%.1fk", v / 1e3);
        else
            snprintf(buf, len, "%.0f", v);
        break;
    case U_TIME:
        if (v >= 1e9)
            snprintf(buf, len, "%.2f s", v / 1e9);
        else if (v >= 1e6)
            snprintf(buf, len, "%.2f ms", v / 1e6);
        else
            snprintf(buf, len, "%.0f us", v / 1e3);
        break;
    case U_COUNT:
        snprintf(buf, len, "%.0f", v);
        break;
    case U_KB:
        snprintf(buf, len, "%.1f MB", v / 1024);
        break;
    case U_CORES:
        snprintf(buf, len, "%.2f", v);
        break;
    }
}

/* none: what a cell says when no round has the figure but some ran */
static void cell(char *buf, size_t len, struct stat3 st, enum unit u, const char *none)
{
    if (!st.n) {
        snprintf(buf, len, "%s", st.none ? none : "FAILED");
        return;
    }
    char a[32], b[32], c[32];
    fmt(a, sizeof a, st.med, u);
    if (st.n == 1 || st.min == st.max) {
        snprintf(buf, len, "%s", a);
        return;
    }
    fmt(b, sizeof b, st.min, u);
    fmt(c, sizeof c, st.max, u);
    snprintf(buf, len, "%s [%s-%s]", a, b, c);
}

static void ratio(char *buf, size_t len, struct stat3 n, struct stat3 m)
{
    if (!n.n || !m.n || n.med == 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.2fx", m.med / n.med);
}

/* The step whose rows are printed compares unlike things (the sides
 * served different numbers of connections): its ratios are marked. */
static bool unlike;

static void row(const struct ab_result *r, int step, const char *label, getter get, enum unit u)
{
    char nc[128], mc[128], rc[24];
    struct stat3 n = over_rounds(r, AB_NATIVE, step, get), m = over_rounds(r, AB_MNRT, step, get);
    const char *none = r->cfg.load ? "(see load output)" : "no replies";
    cell(nc, sizeof nc, n, u, none);
    cell(mc, sizeof mc, m, u, none);
    ratio(rc, sizeof rc, n, m);
    if (unlike && strcmp(rc, "-") != 0)
        strcat(rc, " *");
    printf("  %-24s %-26s %-26s %s\n", label, r->cfg.sides[AB_NATIVE] ? nc : "-",
           r->cfg.sides[AB_MNRT] ? mc : "-", rc);
}

/* True when the server of some round of this step (or of the idle
 * connections: step -1) was more than one process: a prefork server. */
static bool multi_process(const struct ab_result *r, int step)
{
    for (enum ab_side s = 0; s < AB_SIDES; s++)
        for (int i = 0; i < r->rounds_done; i++)
            if (step < 0 ? r->idle[s][i].ok && r->idle[s][i].processes > 1
                         : r->run[s][i][step].ok && r->run[s][i][step].processes_max > 1)
                return true;
    return false;
}

/* Kernel threads in all, and for a server of several processes, in the
 * largest one and how many processes there were. */
static void thread_rows(const struct ab_result *r, int step)
{
    row(r, step, "kernel threads (max)", g_threads, U_COUNT);
    if (!multi_process(r, step))
        return;
    row(r, step, "  in one process (max)", g_proc_threads, U_COUNT);
    row(r, step, "processes (max)", g_procs, U_COUNT);
}

enum idle_figure { I_OPEN, I_THREADS, I_PROC_THREADS, I_PROCS, I_RSS, I_CPU, I_MEM, I_FIGURES };

static struct stat3 idle_stat(const struct ab_result *r, enum ab_side s, enum idle_figure what)
{
    double v[AB_MAX_ROUNDS];
    int n = 0;
    for (int i = 0; i < r->rounds_done; i++) {
        const struct ab_idle *x = &r->idle[s][i];
        if (x->ok)
            v[n++] = what == I_OPEN           ? x->open
                     : what == I_THREADS      ? x->threads
                     : what == I_PROC_THREADS ? x->proc_threads
                     : what == I_PROCS        ? x->processes
                     : what == I_RSS          ? (double)x->rss_kb
                     : what == I_CPU          ? x->cpu_s / x->hold_s
                                              : (double)x->rss_kb + 16.0 * x->threads;
    }
    return stat_of(v, n);
}

/* The idle connections: how many each side held, and what they cost. When
 * the sides held different numbers (or one round differed from another),
 * the ratios compare unlike things: marked, and said below the rows. */
static void idle_table(const struct ab_result *r)
{
    const struct ab_config *c = &r->cfg;
    printf("%d idle connections (one request each, then held)\n", c->idle);
    struct stat3 on = idle_stat(r, AB_NATIVE, I_OPEN), om = idle_stat(r, AB_MNRT, I_OPEN);
    bool both = on.n && om.n;
    bool unequal = both && (on.min != om.max || on.max != om.min);
    bool short_n = (on.n && on.min < c->idle) || (om.n && om.min < c->idle);
    static const char *const labels[I_FIGURES] = {
        "connections held", "kernel threads (max)", "  in one process (max)", "processes (max)",
        "RSS (max)", "CPU while idle (cores)", "RSS + kernel stacks"};
    static const enum unit units[I_FIGURES] = {U_COUNT, U_COUNT, U_COUNT, U_COUNT,
                                               U_KB, U_CORES, U_KB};
    bool several = multi_process(r, -1);
    for (enum idle_figure k = 0; k < I_FIGURES; k++) {
        if ((k == I_PROC_THREADS || k == I_PROCS) && !several)
            continue;
        char nc[128], mc[128], rc[24];
        struct stat3 n = idle_stat(r, AB_NATIVE, k), m = idle_stat(r, AB_MNRT, k);
        cell(nc, sizeof nc, n, units[k], "no replies");
        cell(mc, sizeof mc, m, units[k], "no replies");
        ratio(rc, sizeof rc, n, m);
        if (unequal && k != I_OPEN && strcmp(rc, "-") != 0)
            strcat(rc, " *");
        printf("  %-24s %-26s %-26s %s\n", labels[k], c->sides[AB_NATIVE] ? nc : "-",
               c->sides[AB_MNRT] ? mc : "-", rc);
    }
    if (short_n)
        printf("  warning: fewer than the %d connections asked for were held (a listen "
               "backlog, the server's fd limit, refusals or closes)\n", c->idle);
    for (enum ab_side s = 0; s < AB_SIDES; s++)
        for (int i = 0; i < r->rounds_done; i++) {
            const struct ab_idle *x = &r->idle[s][i];
            if (x->ok && x->answered > x->open) {
                printf("  the %s server closed %d connections after answering them (HTTP/1.0 or "
                       "Connection: close?)\n", ab_side_name(s), x->answered - x->open);
                break;
            }
        }
    if (unequal)
        printf("  * the sides held different numbers of connections: not like for like\n");
}

/* A --load row, when some round of either side printed the figure. */
static void load_row(const struct ab_result *r, const char *label, getter get, enum unit u)
{
    if (over_rounds(r, AB_NATIVE, 0, get).n || over_rounds(r, AB_MNRT, 0, get).n)
        row(r, 0, label, get, u);
}

/* With --load: the figures the load command printed (when understood),
 * then what ab measured of the server; where its output is. The rate is
 * of what the generator counts: requests, or sysbench's transactions or
 * events. */
static void load_table(const struct ab_result *r)
{
    const char *unit = NULL;
    for (enum ab_side s = 0; s < AB_SIDES && !unit; s++)
        for (int i = 0; i < r->rounds_done && !unit; i++)
            unit = r->run[s][i][0].ok ? r->run[s][i][0].unit : NULL;
    char label[32];
    snprintf(label, sizeof label, "%s/s", unit ? unit : "requests");
    printf("load command (its figures)\n");
    row(r, 0, label, g_rps, U_RATE);
    load_row(r, "queries/s", g_qps, U_RATE);
    load_row(r, "errors (reported)", g_reported, U_COUNT);
    load_row(r, "latency mean", g_mean, U_TIME);
    load_row(r, "latency p50", g_p50, U_TIME);
    load_row(r, "latency p75", g_p75, U_TIME);
    load_row(r, "latency p90", g_p90, U_TIME);
    load_row(r, "latency p95", g_p95, U_TIME);
    load_row(r, "latency p99", g_p99, U_TIME);
    load_row(r, "latency p99.9", g_p999, U_TIME);
    load_row(r, "latency max", g_max, U_TIME);
    row(r, 0, "seconds", g_seconds, U_CORES);
    printf("server (measured by mnrt ab while the load ran)\n");
    thread_rows(r, 0);
    row(r, 0, "RSS (max)", g_rss, U_KB);
    row(r, 0, "RSS + kernel stacks", g_mem, U_KB);
    row(r, 0, "CPU (cores busy)", g_cpu, U_CORES);
    row(r, 0, "context switches/s", g_csw, U_RATE);
    bool understood = false, served = false; /* some round's output understood; some ran well */
    for (enum ab_side s = 0; s < AB_SIDES; s++)
        for (int i = 0; i < r->rounds_done; i++) {
            understood |= r->loadrun[s][i].format != NULL;
            served |= r->run[s][i][0].ok;
        }
    understood |= !served; /* a failed command's output is quoted in its failure */
    if (!understood)
        printf("  the load command's output was not understood (wrk, wrk2, ApacheBench, h2load "
               "and sysbench are): it is in report.json's \"load\" (--out DIR); the last "
               "round's ends:\n");
    for (enum ab_side s = 0; s < AB_SIDES && !understood; s++) {
        const struct ab_loadrun *lr = r->rounds_done ? &r->loadrun[s][r->rounds_done - 1] : NULL;
        if (lr && r->run[s][r->rounds_done - 1][0].ok && lr->output) {
            size_t n = strlen(lr->output);
            printf("  --- %s ---\n%s\n", ab_side_name(s), lr->output + (n > 400 ? n - 400 : 0));
        }
    }
}

void ab_describe_load(const struct ab_result *r, char *buf, size_t len)
{
    const struct ab_config *c = &r->cfg;
    const char *rounds = r->rounds_done == 1 ? "" : "s";
    if (c->load) {
        snprintf(buf, len, "%s (run natively; {duration} = %g s); %d round%s", c->load,
                 c->duration, r->rounds_done, rounds);
        return;
    }
    char what[128], loop[64];
    if (c->proto == AB_ECHO)
        snprintf(what, sizeof what, "echo, %d-byte messages", c->size);
    else if (c->proto == AB_BANNER)
        snprintf(what, sizeof what, "banner (connect, time the server's greeting, close)");
    else
        snprintf(what, sizeof what, "http GET %s", c->path);
    if (c->rate)
        snprintf(loop, sizeof loop, "open loop at %.0f requests/s", c->rate);
    else
        snprintf(loop, sizeof loop, "closed loop");
    snprintf(buf, len, "%s, %s; %d round%s of %g s (+%g s warm-up) per step", what, loop,
             r->rounds_done, rounds, c->duration, c->warmup);
}

/* "CPU 0", "CPUs 0-3,6" */
static void cpus_phrase(const cpu_set_t *set, char *buf, size_t len)
{
    char list[256];
    ab_cpus_format(set, list, sizeof list);
    snprintf(buf, len, "CPU%s %s", CPU_COUNT(set) == 1 ? "" : "s", list);
}

void ab_describe_placement(const struct ab_result *r, char *buf, size_t len)
{
    const struct ab_config *c = &r->cfg;
    char server[300], load[300];
    cpus_phrase(&c->server_cpus, server, sizeof server);
    cpus_phrase(&c->load_cpus, load, sizeof load);
    int n = CPU_EQUAL(&c->server_cpus, &c->load_cpus)
                ? snprintf(buf, len, "server and load share %s", server)
                : snprintf(buf, len, "server on %s, load on %s", server, load);
    for (enum ab_side s = 0; s < AB_SIDES && (size_t)n < len; s++) {
        const cpu_set_t *seen = &r->server_seen[s];
        if (!CPU_COUNT(seen) || CPU_EQUAL(seen, &c->server_cpus))
            continue;
        cpus_phrase(seen, server, sizeof server);
        n += snprintf(buf + n, len - (size_t)n, "; the %s server was allowed %s", ab_side_name(s),
                      server);
    }
}

void ab_report_table(const struct ab_result *r)
{
    const struct ab_config *c = &r->cfg;
    char m[256], l[1024], p[1024];
    ab_machine(m, sizeof m);
    ab_describe_load(r, l, sizeof l);
    ab_describe_placement(r, p, sizeof p);
    printf("mnrt ab: %s", c->server[0]);
    for (char **a = c->server + 1; *a; a++)
        printf(" %s", *a);
    printf("\n  load: %s\n", l);
    printf("  placement: %s\n", p);
    printf("  machine: %s\n\n", m);
    printf("  %-24s %-26s %-26s %s\n", "", "native", "mnrt", "mnrt/native");
    if (c->load)
        load_table(r);
    for (int s = 0; s < c->nsteps && !c->load; s++) {
        printf("%d connections\n", c->conns[s]);
        /* connections that never got a reply (a full accept queue, the
         * server's fd limit): the step ran with fewer than it says (in open
         * loop a few connections may carry the whole rate: not told) */
        struct stat3 sn = over_rounds(r, AB_NATIVE, s, g_served),
                     sm = over_rounds(r, AB_MNRT, s, g_served);
        bool short_n = !c->rate &&
                       ((sn.n && sn.min < c->conns[s]) || (sm.n && sm.min < c->conns[s]));
        bool differ = sn.n && sm.n && (sn.min != sm.max || sn.max != sm.min);
        if (short_n)
            row(r, s, "connections served", g_served, U_COUNT);
        unlike = short_n && differ;
        row(r, s, "requests/s", g_rps, U_RATE);
        row(r, s, "latency p50", g_p50, U_TIME);
        row(r, s, "latency p90", g_p90, U_TIME);
        row(r, s, "latency p99", g_p99, U_TIME);
        row(r, s, "latency p99.9", g_p999, U_TIME);
        row(r, s, "latency max", g_max, U_TIME);
        row(r, s, "errors", g_errors, U_COUNT);
        thread_rows(r, s);
        row(r, s, "RSS (max)", g_rss, U_KB);
        row(r, s, "RSS + kernel stacks", g_mem, U_KB);
        row(r, s, "CPU (cores busy)", g_cpu, U_CORES);
        row(r, s, "context switches/s", g_csw, U_RATE);
        unlike = false;
        if (short_n)
            printf("  warning: fewer than the %d connections asked for were served in the "
                   "window (the rest never got a reply: a full listen backlog, the server's fd "
                   "limit, replies slower than -d)\n", c->conns[s]);
        if (short_n && differ)
            printf("  * the sides served different numbers of connections: not like for like\n");
    }
    if (c->idle)
        idle_table(r);
    for (int i = 0; i < r->nfailures; i++)
        printf("\nFAILED: %s\n", r->failures[i]);
    fflush(stdout);
}

/* ---- JSON ---- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void json_str_or_null(FILE *f, const char *s)
{
    if (s)
        json_str(f, s);
    else
        fputs("null", f);
}

/* [0, 1] */
static void json_cpus(FILE *f, const cpu_set_t *set)
{
    fputc('[', f);
    for (int cpu = 0, n = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, set))
            fprintf(f, "%s%d", n++ ? ", " : "", cpu);
    fputc(']', f);
}

/* --load: each round's command, how it ended and what it printed */
static void json_load(FILE *f, const struct ab_result *r)
{
    fprintf(f, ",\n  \"load\": {");
    for (enum ab_side side = 0; side < AB_SIDES; side++) {
        fprintf(f, "%s\"%s\": [", side ? ", " : "", ab_side_name(side));
        for (int i = 0; i < r->rounds_done; i++) {
            const struct ab_loadrun *x = &r->loadrun[side][i];
            int st = x->status;
            fprintf(f, "%s{\"ran\": %s, \"exit_status\": %d, \"signal\": %d, "
                       "\"timed_out\": %s, \"seconds\": %.3f, \"format\": ",
                    i ? ", " : "", x->ran ? "true" : "false",
                    WIFEXITED(st) ? WEXITSTATUS(st) : -1, WIFSIGNALED(st) ? WTERMSIG(st) : 0,
                    x->timed_out ? "true" : "false", x->seconds);
            json_str_or_null(f, x->format);
            fprintf(f, ", \"output_bytes\": %llu, \"output_truncated\": %s, \"output\": ",
                    x->output_bytes,
                    x->output && x->output_bytes > strlen(x->output) ? "true" : "false");
            json_str(f, x->output ? x->output : "");
            fputc('}', f);
        }
        fputc(']', f);
    }
    fputc('}', f);
}

static void json_run(FILE *f, const struct ab_run *x)
{
    fprintf(f,
            "{\"ok\": %s, \"seconds\": %.3f, \"connections_served\": %d, \"requests\": %llu, "
            "\"requests_per_s\": %.2f, "
            "\"unit\": \"%s\", \"queries_per_s\": %.2f, "
            "\"latency_ns\": {\"p50\": %llu, \"p75\": %llu, \"p90\": %llu, \"p95\": %llu, "
            "\"p99\": %llu, \"p99_9\": %llu, \"max\": %llu, \"mean\": %llu}, "
            "\"errors\": {\"connect\": %llu, \"reset\": %llu, \"timeout\": %llu, \"bad_reply\": %llu, "
            "\"reported\": %llu}, "
            "\"kernel_threads_max\": %d, \"kernel_threads_mean\": %.1f, "
            "\"processes_max\": %d, \"kernel_threads_per_process_max\": %d, \"rss_max_kb\": %ld, "
            "\"cpu_user_s\": %.3f, \"cpu_sys_s\": %.3f, \"voluntary_switches\": %ld, "
            "\"involuntary_switches\": %ld}",
            x->ok ? "true" : "false", x->seconds, x->conns_served, (unsigned long long)x->requests,
            x->rps,
            x->unit ? x->unit : "requests", x->qps,
            (unsigned long long)x->p50, (unsigned long long)x->p75, (unsigned long long)x->p90,
            (unsigned long long)x->p95, (unsigned long long)x->p99,
            (unsigned long long)x->p999, (unsigned long long)x->max, (unsigned long long)x->mean,
            (unsigned long long)x->err_connect, (unsigned long long)x->err_reset,
            (unsigned long long)x->err_timeout, (unsigned long long)x->err_bad,
            (unsigned long long)x->err_reported, x->threads_max,
            x->threads_mean, x->processes_max, x->proc_threads_max, x->rss_max_kb, x->user_s,
            x->sys_s, x->vcsw, x->ivcsw);
}

static void json_hist(FILE *f, const struct ab_hist *h)
{
    fprintf(f, "{\"count\": %llu, \"buckets\": [", (unsigned long long)h->count);
    bool first = true;
    for (int i = 0; i < AB_HIST_BUCKETS; i++)
        if (h->b[i]) {
            fprintf(f, "%s[%llu, %llu, %llu]", first ? "" : ", ",
                    (unsigned long long)ab_hist_lower(i), (unsigned long long)ab_hist_upper(i),
                    (unsigned long long)h->b[i]);
            first = false;
        }
    fprintf(f, "]}");
}

static int make_dir_of(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return 0;
    *slash = 0;
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0755);
            *p = '/';
        }
    return mkdir(dir, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int ab_report_json(const struct ab_result *r, const char *path)
{
    if (make_dir_of(path) != 0)
        return -1;
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    const struct ab_config *c = &r->cfg;
    char m[256];
    ab_machine(m, sizeof m);
    fprintf(f, "{\n  \"tool\": \"mnrt ab\",\n  \"version\": \"%s\",\n  \"machine\": ", MNRT_VERSION);
    json_str(f, m);
    fprintf(f, ",\n  \"time\": %lld,\n  \"config\": {\"server\": [", (long long)time(NULL));
    for (char **a = c->server; *a; a++) {
        json_str(f, *a);
        if (a[1])
            fputs(", ", f);
    }
    static const char *const protos[] = {"echo", "http", "banner"};
    fprintf(f, "], \"protocol\": \"%s\", \"size\": %d, \"path\": ", protos[c->proto], c->size);
    json_str(f, c->path);
    fprintf(f, ", \"connections\": [");
    for (int s = 0; s < c->nsteps; s++)
        fprintf(f, "%s%d", s ? ", " : "", c->conns[s]);
    fprintf(f, "], \"idle\": %d, \"duration_s\": %g, \"warmup_s\": %g, \"rounds\": %d, "
               "\"rate\": %g, \"load_threads\": %d, \"procs\": %s%s%s, \"library\": ",
            c->idle, c->duration, c->warmup, c->rounds, c->rate, c->threads, c->procs ? "\"" : "",
            c->procs ? c->procs : "null", c->procs ? "\"" : "");
    json_str_or_null(f, c->lib);
    fputs(", \"load\": ", f);
    json_str_or_null(f, c->load);
    fputs(", \"ready\": ", f);
    json_str_or_null(f, c->ready);
    fputs(", \"server_cpus\": ", f);
    json_cpus(f, &c->server_cpus);
    fputs(", \"load_cpus\": ", f);
    json_cpus(f, &c->load_cpus);
    fprintf(f, "},\n  \"server_cpus_seen\": {");
    for (enum ab_side side = 0; side < AB_SIDES; side++) {
        fprintf(f, "%s\"%s\": ", side ? ", " : "", ab_side_name(side));
        json_cpus(f, &r->server_seen[side]);
    }
    fprintf(f, "},\n  \"steps\": [");
    for (int s = 0; s < c->nsteps; s++) {
        fprintf(f, "%s\n    {\"connections\": %d", s ? "," : "", c->conns[s]);
        for (enum ab_side side = 0; side < AB_SIDES; side++) {
            fprintf(f, ", \"%s\": {\"rounds\": [", ab_side_name(side));
            for (int i = 0; i < r->rounds_done; i++) {
                if (i)
                    fputs(", ", f);
                json_run(f, &r->run[side][i][s]);
            }
            struct stat3 rps = over_rounds(r, side, s, g_rps), p99 = over_rounds(r, side, s, g_p99);
            fprintf(f, "], \"median\": {\"requests_per_s\": %.1f, \"latency_p99_ns\": %.0f, "
                       "\"kernel_threads_max\": %.0f, \"rss_max_kb\": %.0f}, \"histogram\": ",
                    rps.med, p99.med, over_rounds(r, side, s, g_threads).med,
                    over_rounds(r, side, s, g_rss).med);
            json_hist(f, &r->hist[side][s]);
            fputc('}', f);
        }
        struct stat3 nr = over_rounds(r, AB_NATIVE, s, g_rps), mr = over_rounds(r, AB_MNRT, s, g_rps);
        struct stat3 np = over_rounds(r, AB_NATIVE, s, g_p99), mp = over_rounds(r, AB_MNRT, s, g_p99);
        fprintf(f, ", \"ratio\": {\"requests_per_s\": %.3f, \"latency_p99\": %.3f}}",
                nr.n && mr.n && nr.med ? mr.med / nr.med : 0, np.n && mp.n && np.med ? mp.med / np.med : 0);
    }
    fprintf(f, "\n  ],\n  \"idle\": {\"connections\": %d", c->idle);
    for (enum ab_side side = 0; side < AB_SIDES; side++) {
        fprintf(f, ", \"%s\": [", ab_side_name(side));
        for (int i = 0; i < r->rounds_done; i++) {
            const struct ab_idle *x = &r->idle[side][i];
            fprintf(f, "%s{\"ok\": %s, \"answered\": %d, \"open\": %d, \"kernel_threads\": %d, "
                       "\"processes\": %d, \"kernel_threads_per_process\": %d, "
                       "\"rss_kb\": %ld, \"cpu_s\": %.3f, \"hold_s\": %.1f}",
                    i ? ", " : "", x->ok ? "true" : "false", x->answered, x->open, x->threads,
                    x->processes, x->proc_threads, x->rss_kb, x->cpu_s, x->hold_s);
        }
        fputc(']', f);
    }
    fprintf(f, "},\n  \"series\": {");
    for (enum ab_side side = 0; side < AB_SIDES; side++) {
        fprintf(f, "%s\"%s\": [", side ? ", " : "", ab_side_name(side));
        for (int i = 0; i < r->nseries[side]; i++) {
            const struct ab_point *p = &r->series[side][i];
            fprintf(f, "%s[%.2f, %d, %ld, %d]", i ? ", " : "", p->t, p->threads, p->rss_kb,
                    p->gap);
        }
        fputc(']', f);
    }
    fprintf(f, "},\n  \"marks\": {");
    for (enum ab_side side = 0; side < AB_SIDES; side++) {
        fprintf(f, "%s\"%s\": [", side ? ", " : "", ab_side_name(side));
        for (int i = 0; i < r->nmarks[side]; i++) {
            fprintf(f, "%s[%.2f, ", i ? ", " : "", r->marks[side][i].t);
            json_str(f, r->marks[side][i].label);
            fputc(']', f);
        }
        fputc(']', f);
    }
    fputc('}', f);
    json_load(f, r);
    fprintf(f, ",\n  \"failures\": [");
    for (int i = 0; i < r->nfailures; i++) {
        if (i)
            fputs(", ", f);
        json_str(f, r->failures[i]);
    }
    fprintf(f, "],\n  \"ok\": %s\n}\n", r->nfailures ? "false" : "true");
    return fclose(f) == 0 ? 0 : -1;
}
