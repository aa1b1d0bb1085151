/* `mnrt top [-d SECONDS] [-n N | --once] PID`: the live view of a running
 * mnrt process (issue 14, item 3), refreshed every interval (1 s): its
 * threads by state and by what they wait for, its kernel threads (Ms)
 * and what they do, its Ps with their run queues and how busy each was,
 * the scheduler's events per second (switches, parks, preemptions,
 * netpoller wake-ups, handoffs, converted and watched waits) and the CPU
 * time of its busiest threads when their time is accounted: what
 * MNRT_DEBUG=schedtrace prints, for a process already running.
 *
 * Each screen is the difference of two snapshots (core/stats.h) the
 * process writes on request (ask.c), one interval apart: the first screen
 * comes one interval after the start. On a terminal each screen replaces
 * the one before and is cut to the terminal's size; otherwise (a pipe, a
 * file) screens follow each other, a blank line between them, for
 * scripts (-n N, --once: N screens, one).
 *
 * Exit status: 0 after N screens, or when the process exits (said on
 * stderr); 1 when it does not run under mnrt or stops answering; 2 for
 * bad usage. */
#include "launcher.h"

#include "core/dump.h"
#include "core/stats.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define ANSWER_MS 5000     /* a process that takes longer has stopped answering */
/* A snapshot cut short is most often a process exiting: the kernel closes
 * its fds before its pidfd tells it is gone (the clean-clone CI's top test
 * at load ~100 said "incomplete snapshot" of a process that exited). */
#define EXITING_MS 2000
#define MAX_WAITS 64
#define MAX_PS 1024
#define MAX_CPU 8
#define MAX_SNAPSHOT (1 << 20)

/* The snapshot's numbers, in core/stats.c's names. */
#define KEYS(X)                                                                               \
    X(pid) X(uptime_ns) X(procs) X(idle_procs) X(runq) X(ms) X(idle_ms) X(polling_ms)           \
    X(spinning_ms)          \
    X(running_ms) X(blocked_ms) X(syscall_ms) X(handed_off_ms) X(sysmon) X(threads) X(created)  \
    X(running) X(runnable) X(syscall) X(waiting) X(exiting) X(switches) X(parks)               \
    X(preemptions) X(handoffs) X(unseen) X(converted) X(watched) X(netpoll_woken)              \
    X(netpoll_waiters) X(cpu_accounted) X(cpu_all) X(cpu_interval_ns)
#define ENUM(k) K_##k,
#define NAME(k) #k,
enum key { KEYS(ENUM) NKEYS };
static const char *const key_names[] = {KEYS(NAME)};

struct snap {
    int64_t v[NKEYS];
    char version[32];
    int nwaits, nps, ncpu;
    struct {
        int64_t n;
        char reason[48];
    } waits[MAX_WAITS];
    struct {
        int id;
        char state[12];
        long long runq, m, g, busy, sampled;
        char name[16];
    } ps[MAX_PS];
    struct {
        long long id, delta, total;
        char name[16];
    } cpu[MAX_CPU];
};

static void top_usage(FILE *f)
{
    fprintf(f, "usage: mnrt top [-d SECONDS] [-n N | --once] PID\n"
               "  -d SECONDS     time between screens (default 1)\n"
               "  -n N           N screens, then exit (default: until interrupted)\n"
               "  --once         one screen (-n 1)\n");
}

/* ---- reading a snapshot ---- */

/* The rest of the line after n words, or NULL. */
static const char *after_words(const char *line, int n)
{
    for (int i = 0; i < n; i++) {
        line = strchr(line, ' ');
        if (!line)
            return NULL;
        line++;
    }
    return line;
}

static void parse_line(struct snap *s, char *line)
{
    char word[32];
    long long v;
    if (sscanf(line, "%31s", word) != 1)
        return;
    if (!strcmp(word, "version")) {
        snprintf(s->version, sizeof s->version, "%s", line + 8);
    } else if (!strcmp(word, "wait") && s->nwaits < MAX_WAITS) {
        const char *r = after_words(line, 2);
        if (sscanf(line, "wait %lld", &v) == 1 && r) {
            s->waits[s->nwaits].n = v;
            snprintf(s->waits[s->nwaits++].reason, sizeof s->waits[0].reason, "%s", r);
        }
    } else if (!strcmp(word, "p") && s->nps < MAX_PS) {
        typeof(s->ps[0]) *p = &s->ps[s->nps];
        const char *name = after_words(line, 8);
        if (sscanf(line, "p %d %11s %lld %lld %lld %lld %lld", &p->id, p->state, &p->runq, &p->m,
                   &p->g, &p->busy, &p->sampled) == 7) {
            snprintf(p->name, sizeof p->name, "%s", name ? name : "");
            s->nps++;
        }
    } else if (!strcmp(word, "cpu") && s->ncpu < MAX_CPU) {
        typeof(s->cpu[0]) *c = &s->cpu[s->ncpu];
        const char *name = after_words(line, 4);
        if (sscanf(line, "cpu %lld %lld %lld", &c->id, &c->delta, &c->total) == 3) {
            snprintf(c->name, sizeof c->name, "%s", name ? name : "");
            s->ncpu++;
        }
    } else {
        for (int k = 0; k < NKEYS; k++)
            if (!strcmp(word, key_names[k]) && sscanf(line + strlen(word), "%lld", &v) == 1)
                s->v[k] = v;
    }
}

/* Reads the snapshot from c: 0, or -1 when it is not whole, MN_ASK_GONE
 * when the process exited meanwhile. */
static int read_snapshot(struct mn_ask *a, int c, struct snap *s)
{
    static char buf[MAX_SNAPSHOT + 1];
    size_t len = 0;
    for (;;) {
        int w = mn_ask_wait(a, c, ANSWER_MS);
        if (w != 1 && w != MN_ASK_GONE)
            return -1;
        ssize_t n = recv(c, buf + len, MAX_SNAPSHOT - len, w == MN_ASK_GONE ? MSG_DONTWAIT : 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == MAX_SNAPSHOT)
            return -1;
    }
    buf[len] = 0;
    static const char header[] = MN_STATS_HEADER, end[] = "\n" MN_STATS_END;
    if (len < sizeof header || memcmp(buf, header, sizeof header - 1) != 0 ||
        memcmp(buf + len - (sizeof end - 1), end, sizeof end - 1) != 0)
        return mn_ask_wait(a, -1, EXITING_MS) == MN_ASK_GONE ? MN_ASK_GONE : -1;
    memset(s, 0, sizeof *s);
    for (char *line = buf, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        parse_line(s, line);
    }
    return 0;
}

/* One snapshot: 0, MN_ASK_GONE, or 1 after a message. */
static int take(struct mn_ask *a, struct snap *s)
{
    int c = mn_ask(a, MN_DUMP_STATS, ANSWER_MS);
    if (c == MN_ASK_GONE)
        return c;
    if (c == MN_ASK_TIMEOUT) {
        fprintf(stderr, "mnrt top: no answer from process %ld within %d s\n", a->pid,
                ANSWER_MS / 1000);
        return 1;
    }
    if (c < 0)
        return 1;
    int r = read_snapshot(a, c, s);
    close(c);
    if (r == -1) {
        fprintf(stderr, "mnrt top: process %ld sent an incomplete snapshot\n", a->pid);
        return 1;
    }
    return r;
}

/* ---- a screen ---- */

static void put_count(FILE *f, double r)
{
    if (r < 10)
        fprintf(f, "%.1f", r);
    else if (r < 100000)
        fprintf(f, "%.0f", r);
    else if (r < 1e8)
        fprintf(f, "%.1fk", r / 1e3);
    else
        fprintf(f, "%.1fM", r / 1e6);
}

static void put_seconds(FILE *f, int64_t ns)
{
    double s = (double)ns / 1e9;
    if (s < 100)
        fprintf(f, "%.2f s", s);
    else if (s < 6000)
        fprintf(f, "%.1f min", s / 60);
    else
        fprintf(f, "%.1f h", s / 3600);
}

static int by_count(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? 1 : a > b ? -1 : 0;
}

static void put_rates(FILE *f, const struct snap *a, const struct snap *b, double dt)
{
    static const struct {
        enum key k;
        const char *what;
    } rates[] = {
        {K_switches, "switches"},         {K_parks, "parks"},
        {K_preemptions, "preemptions"},   {K_netpoll_woken, "netpoll wake-ups"},
        {K_handoffs, "handoffs"},         {K_unseen, "unseen blocks"},
        {K_converted, "converted waits"}, {K_watched, "watched waits"},
    };
    fprintf(f, "per second:");
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        fprintf(f, "%s ", i ? "," : "");
        put_count(f, (double)(b->v[rates[i].k] - a->v[rates[i].k]) / dt);
        fprintf(f, " %s", rates[i].what);
    }
    fprintf(f, "\n");
}

static void put_ps(FILE *f, const struct snap *a, const struct snap *b)
{
    fprintf(f, "\n  P  state     busy  runq  M      thread\n");
    for (int i = 0; i < b->nps; i++) {
        const typeof(b->ps[0]) *p = &b->ps[i];
        fprintf(f, "%3d  %-7s ", p->id, p->state);
        long long busy = p->busy, sampled = p->sampled;
        if (i < a->nps && a->ps[i].id == p->id) {
            busy -= a->ps[i].busy;
            sampled -= a->ps[i].sampled;
        }
        if (sampled > 0)
            fprintf(f, "%5.0f%%", 100.0 * (double)busy / (double)sampled);
        else
            fprintf(f, "%6s", "-");
        fprintf(f, " %5lld  ", p->runq);
        if (p->m >= 0)
            fprintf(f, "M%-5lld ", p->m);
        else
            fprintf(f, "%-6s ", "-");
        if (p->g >= 0)
            fprintf(f, "%lld %s\n", p->g, p->name);
        else
            fprintf(f, "-\n");
    }
}

static void put_cpu(FILE *f, const struct snap *b)
{
    if (!b->v[K_cpu_accounted]) {
        fprintf(f, "\nthread CPU time: no thread's is accounted (MNRT_DEBUG=cputime=1 "
                   "accounts every thread's)\n");
        return;
    }
    fprintf(f, "\n  thread  name              cpu     total  (%lld accounted)\n",
            (long long)b->v[K_cpu_accounted]);
    double interval = (double)(b->v[K_cpu_interval_ns] > 0 ? b->v[K_cpu_interval_ns] : 1);
    for (int i = 0; i < b->ncpu; i++) {
        fprintf(f, "  %-7lld %-15s %5.1f%%  ", b->cpu[i].id, b->cpu[i].name,
                100.0 * (double)b->cpu[i].delta / interval);
        put_seconds(f, b->cpu[i].total);
        fprintf(f, "\n");
    }
}

static void render(FILE *f, const char *comm, const struct snap *a, const struct snap *b)
{
    const int64_t *v = b->v;
    double dt = (double)(v[K_uptime_ns] - a->v[K_uptime_ns]) / 1e9;
    if (dt <= 0)
        dt = 1e-9;
    fprintf(f, "mnrt top - pid %lld (%s), mnrt %s, up ", (long long)v[K_pid], comm, b->version);
    put_seconds(f, v[K_uptime_ns]);
    fprintf(f, ", interval %.2f s\n", dt);
    fprintf(f, "threads %lld: %lld running, %lld runnable, %lld in system calls, %lld waiting, "
               "%lld exiting (",
            (long long)v[K_threads], (long long)v[K_running], (long long)v[K_runnable],
            (long long)v[K_syscall], (long long)v[K_waiting], (long long)v[K_exiting]);
    put_count(f, (double)(v[K_created] - a->v[K_created]) / dt);
    fprintf(f, " created/s)\n");
    if (b->nwaits) {
        struct snap w = *b;
        qsort(w.waits, (size_t)w.nwaits, sizeof w.waits[0], by_count);
        fprintf(f, "waiting:");
        for (int i = 0; i < w.nwaits; i++)
            fprintf(f, "%s %lld %s", i ? "," : "", (long long)w.waits[i].n, w.waits[i].reason);
        fprintf(f, "\n");
    }
    int64_t other = v[K_ms] - v[K_running_ms] - v[K_syscall_ms] - v[K_blocked_ms] -
                    v[K_idle_ms] - v[K_polling_ms];
    fprintf(f, "kernel threads %lld%s: %lld running threads, %lld in system calls (%lld handed "
               "off their P), %lld blocked unseen, %lld idle, %lld in the netpoller, %lld "
               "scheduling (%lld spinning)\n",
            (long long)v[K_ms], v[K_sysmon] ? " + sysmon" : "", (long long)v[K_running_ms],
            (long long)v[K_syscall_ms], (long long)v[K_handed_off_ms],
            (long long)v[K_blocked_ms], (long long)v[K_idle_ms], (long long)v[K_polling_ms],
            (long long)(other > 0 ? other : 0), (long long)v[K_spinning_ms]);
    /* (a thread woken by the netpoller counts until it runs) */
    fprintf(f, "procs %lld: %lld idle; global run queue %lld; netpoller waits %lld\n",
            (long long)v[K_procs], (long long)v[K_idle_procs], (long long)v[K_runq],
            (long long)v[K_netpoll_waiters]);
    put_rates(f, a, b, dt);
    put_ps(f, a, b);
    put_cpu(f, b);
}

/* Writes the screen: on a terminal over the last one, cut to its size. */
static void show(const char *text, bool tty, bool first)
{
    if (!tty) {
        printf("%s%s", first ? "" : "\n", text);
        fflush(stdout);
        return;
    }
    struct winsize ws = {0};
    int rows = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row ? ws.ws_row : 24;
    int cols = ws.ws_col ? ws.ws_col : 80;
    fputs("\033[H\033[2J", stdout);
    int row = 0;
    for (const char *line = text; *line && row < rows - 1; row++) {
        const char *nl = strchr(line, '\n');
        int len = nl ? (int)(nl - line) : (int)strlen(line);
        printf("%.*s\n", len < cols ? len : cols, line);
        line += len + (nl ? 1 : 0);
    }
    fflush(stdout);
}

static void read_comm(long pid, char *comm, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    FILE *f = fopen(path, "re");
    if (!f || !fgets(comm, (int)len, f))
        snprintf(comm, len, "?");
    comm[strcspn(comm, "\n")] = 0;
    if (f)
        fclose(f);
}

int mn_top_main(int argc, char **argv)
{
    long pid = -1, count = 0;
    double interval = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-d")) {
            char *end;
            interval = i + 1 < argc ? strtod(argv[++i], &end) : NAN;
            if (!(interval >= 0.1 && interval <= 3600) || *end) {
                fprintf(stderr, "mnrt top: -d needs a number of seconds from 0.1 to 3600\n");
                return 2;
            }
        } else if (!strcmp(a, "-n")) {
            if (i + 1 >= argc || mn_tool_parse_long(argv[++i], 1, 1000000000, &count) < 0) {
                fprintf(stderr, "mnrt top: -n needs a number of screens\n");
                return 2;
            }
        } else if (!strcmp(a, "--once")) {
            count = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            top_usage(stdout);
            return 0;
        } else if (pid < 0 && mn_tool_parse_long(a, 1, INT32_MAX, &pid) == 0) {
        } else {
            top_usage(stderr);
            return 2;
        }
    }
    if (pid < 0) {
        top_usage(stderr);
        return 2;
    }
    struct mn_ask ask;
    if (mn_ask_open(&ask, "mnrt top", pid))
        return 1;
    char comm[64];
    read_comm(pid, comm, sizeof comm);
    bool tty = isatty(STDOUT_FILENO);
    struct snap *prev = malloc(sizeof *prev), *cur = malloc(sizeof *cur);
    int status = prev && cur ? take(&ask, prev) : 1;
    int64_t period = (int64_t)(interval * 1000), next = mn_tool_now_ms() + period;
    for (long shown = 0; status == 0 && (!count || shown < count); shown++) {
        status = mn_ask_wait(&ask, -1, next - mn_tool_now_ms());
        if (status == 0)
            status = take(&ask, cur);
        if (status != 0)
            break;
        next += period;
        if (next < mn_tool_now_ms()) /* a slow answer: no catching up */
            next = mn_tool_now_ms() + period;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f) {
            perror("mnrt top: open_memstream");
            status = 1;
            break;
        }
        render(f, comm, prev, cur);
        fclose(f);
        show(text, tty, shown == 0);
        free(text);
        struct snap *t = prev;
        prev = cur;
        cur = t;
    }
    if (status == MN_ASK_GONE) {
        fprintf(stderr, "mnrt top: process %ld exited\n", pid);
        status = 0;
    }
    free(prev);
    free(cur);
    mn_ask_close(&ask);
    return status;
}
