/* The execution trace as Chrome trace-event JSON: see exectrace_json.h. */
#include "core/exectrace_json.h"

#include "compat/raw_syscall.h"
#include "core/exectrace.h"
#include "core/futex.h"
#include "core/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#define NRINGS (MN_MAX_PROCS + 1)
#define TID_P(p) (1 + (p))
#define TID_SYSMON 100000
#define TID_FOREIGN 100001
#define TID_M(m) (200000 + (m))
#define FLOW 0x80                     /* a copied READY/CREATE that a run refers to */

/* A ring's events as they were when the file was begun: copied first, so
 * that every later pass sees the same events (writers may still be
 * finishing one). type 0: a slot lost while copied. */
struct copy {
    struct mn_xt_event *ev;
    uint64_t lo, n, next;             /* positions lo .. lo+n-1; the merge's next index */
    size_t bytes;
    int64_t dropped;
};

/* A P's track: at most one slice open (a run or an idle spell). */
enum { P_UNKNOWN, P_BUSY, P_RUN, P_IDLE };
struct ptrack {
    int state;
    int64_t since;
    bool start_dropped;
    int64_t gid;
    uint64_t name[2];
    int m;
    uint64_t flow;
    int64_t window;                   /* its ring's oldest event: before it, nothing is known */
    bool named;
};

static struct copy copies[NRINGS];
static struct copy *active[NRINGS];   /* those with events, the shared ring first */
static int nactive;
static struct ptrack ptracks[MN_MAX_PROCS];
static uint8_t m_named[8192];         /* M tracks named (bit per M id) */

struct writer {
    struct mn_out *o;
    int pid;
    int64_t t0;                       /* the file's time zero */
    bool first;
    bool sysmon_named, foreign_named;
};

/* ---- copying the rings ---- */

static void copy_ring(int index, struct mn_xt_totals *t)
{
    struct copy *c = &copies[index];
    memset(c, 0, sizeof *c);
    struct mn_xt_ring *r = mn_xt_ring(index);
    if (!r)
        return;
    uint64_t head = mn_xt_ring_head(r), base = mn_xt_ring_base(r), size = mn_xt_ring_size(r);
    c->lo = head - base > size ? head - size : base;
    c->dropped = (int64_t)(c->lo - base);
    c->n = head - c->lo;
    c->bytes = c->n * sizeof *c->ev;
    if (c->n && !(c->ev = mn_mem_alloc(c->bytes))) {
        c->dropped += (int64_t)c->n;
        c->n = 0;
    }
    int64_t last = INT64_MIN;
    for (uint64_t i = 0; i < c->n; i++) {
        struct mn_xt_event *ev = &c->ev[i];
        if (!mn_xt_ring_read(r, c->lo + i, ev)) {
            ev->type = 0;
            c->dropped++;
            continue;
        }
        ev->e = 0;
        ev->ts = mn_xt_ns(ev->ts);
        if (ev->ts < last) /* rdtsc's disorder: a ring is in order */
            ev->ts = last;
        last = ev->ts;
        if (ev->type == MN_XT_NETPOLL || ev->type == MN_XT_M_SLEEP)
            ev->a = (uint64_t)mn_xt_ns((int64_t)ev->a);
        t->events++;
    }
    t->dropped += c->dropped;
}

/* The ready a start refers to, if it was copied. */
static struct mn_xt_event *ready_of(const struct mn_xt_event *start)
{
    uint64_t ref = start->b;
    int ring = MN_XT_REF_RING(ref);
    if (!ref || ring < 0 || ring >= NRINGS)
        return NULL;
    struct copy *c = &copies[ring];
    uint64_t pos = MN_XT_REF_POS(ref);
    if (pos < c->lo || pos - c->lo >= c->n)
        return NULL;
    struct mn_xt_event *r = &c->ev[pos - c->lo];
    if ((r->type != MN_XT_READY && r->type != MN_XT_CREATE) || r->a != start->a)
        return NULL;
    return r;
}

/* Gives every ready whose run is in the file a flow id, in both (e). */
static void link_flows(void)
{
    uint64_t flow = 0;
    for (int i = 0; i < NRINGS; i++)
        for (uint64_t k = 0; k < copies[i].n; k++) {
            struct mn_xt_event *s = &copies[i].ev[k];
            struct mn_xt_event *r = s->type == MN_XT_START ? ready_of(s) : NULL;
            if (r && !r->e) {
                r->e = s->e = ++flow;
                r->flags |= FLOW;
            }
        }
}

/* ---- output ---- */

static void put_time(struct writer *w, int64_t ns)
{
    ns -= w->t0;
    if (ns < 0)
        ns = 0;
    mn_out_put(w->o, "%lld.%03lld", (long long)(ns / 1000), (long long)(ns % 1000));
}

/* Opens an event: {"ts":..,"ph":"X","dur":..,"pid":..,"tid":..,"cat":.. */
static void open_slice(struct writer *w, int64_t from, int64_t to, int tid, const char *cat)
{
    mn_out_put(w->o, "%s{\"ts\":", w->first ? "" : ",\n");
    w->first = false;
    put_time(w, from);
    mn_out_put(w->o, ",\"ph\":\"X\",\"dur\":");
    int64_t d = to > from ? to - from : 0;
    mn_out_put(w->o, "%lld.%03lld,\"pid\":%d,\"tid\":%d,\"cat\":\"%s\"", (long long)(d / 1000),
               (long long)(d % 1000), w->pid, tid, cat);
}

/* The length of the valid UTF-8 sequence at u (at most len bytes), or 0:
 * what Python's strict decoder accepts (no overlong forms, surrogates,
 * or code points beyond U+10FFFF). */
static size_t utf8_len(const unsigned char *u, size_t len)
{
    unsigned c = u[0];
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!n || n > len)
        return 0;
    unsigned lo = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
    unsigned hi = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
    if (u[1] < lo || u[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((u[k] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Bytes (up to a NUL, at most len) as the inside of a JSON string: valid
 * UTF-8 as it is; control characters, quotes, backslashes and bytes that
 * are not UTF-8 escaped (a byte as the code point of its value). */
static void put_chars(struct writer *w, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    while (n < len && u[n])
        n++;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        size_t k = c >= 0x80 ? utf8_len(u + i, n - i) : 0;
        if (k) {
            mn_out_put(w->o, "%.*s", (int)k, s + i);
            i += k;
        } else {
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
                mn_out_put(w->o, "\\u%04x", c);
            else
                mn_out_put(w->o, "%c", (char)c);
            i++;
        }
    }
}

/* "thread N" or "thread N (NAME)" */
static void put_thread(struct writer *w, int64_t gid, const uint64_t name[2])
{
    mn_out_put(w->o, "thread %lld", (long long)gid);
    const char *s = (const char *)name;
    if (s[0]) {
        mn_out_put(w->o, " (");
        put_chars(w, s, 15);
        mn_out_put(w->o, ")");
    }
}

static void put_reason(struct writer *w, const char *key, const char *why)
{
    mn_out_put(w->o, ",\"%s\":\"", key);
    put_chars(w, why ? why : "?", 64);
    mn_out_put(w->o, "\"");
}

/* Names a track: label, then n unless it is negative. */
static void name_track(struct writer *w, int tid, int sort, const char *label, int n)
{
    mn_out_put(w->o, "%s{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,"
                     "\"args\":{\"name\":\"%s", w->first ? "" : ",\n", w->pid, tid, label);
    if (n >= 0)
        mn_out_put(w->o, "%d", n);
    mn_out_put(w->o, "\"}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,\"tid\":%d,"
                     "\"args\":{\"sort_index\":%d}}", w->pid, tid, sort);
    w->first = false;
}

/* The track of whoever recorded ev without a P. */
static int other_track(struct writer *w, const struct mn_xt_event *ev)
{
    if (ev->m == MN_XT_SYSMON) {
        if (!w->sysmon_named)
            name_track(w, TID_SYSMON, TID_SYSMON, "sysmon", -1);
        w->sysmon_named = true;
        return TID_SYSMON;
    }
    if (ev->m < 0) {
        if (!w->foreign_named)
            name_track(w, TID_FOREIGN, TID_FOREIGN, "other threads", -1);
        w->foreign_named = true;
        return TID_FOREIGN;
    }
    unsigned id = (unsigned)ev->m;
    if (id >= sizeof m_named * 8 || !(m_named[id / 8] & (1u << id % 8))) {
        name_track(w, TID_M(ev->m), TID_M(ev->m), "M", ev->m);
        if (id < sizeof m_named * 8)
            m_named[id / 8] |= (uint8_t)(1u << id % 8);
    }
    return TID_M(ev->m);
}

static int p_track(struct writer *w, int p)
{
    if (!ptracks[p].named)
        name_track(w, TID_P(p), TID_P(p), "P", p);
    ptracks[p].named = true;
    return TID_P(p);
}

/* The track an event is drawn on: its P's, or its recorder's. */
static int track_of(struct writer *w, const struct mn_xt_event *ev)
{
    return ev->p >= 0 ? p_track(w, ev->p) : other_track(w, ev);
}

/* ---- P tracks ---- */

static const char *const stop_names[] = {"park", "yield", "preempted", "exit", "call on its M",
                                         "left a system call, no P free"};

/* Ends what is open on P p at ts; end says why a run ended. */
static void p_close(struct writer *w, int p, int64_t ts, const char *end, const char *why)
{
    struct ptrack *t = &ptracks[p];
    if (ts < t->since) /* another ring's event, a few cycles off (exectrace.h) */
        ts = t->since;
    if (t->state == P_IDLE) {
        open_slice(w, t->since, ts, p_track(w, p), "idle");
        mn_out_put(w->o, ",\"name\":\"idle\"}");
    } else if (t->state == P_RUN) {
        open_slice(w, t->since, ts, p_track(w, p), "run");
        mn_out_put(w->o, ",\"name\":\"");
        put_thread(w, t->gid, t->name);
        mn_out_put(w->o, "\",\"args\":{\"thread\":%lld,\"M\":%d", (long long)t->gid, t->m);
        if (t->start_dropped)
            mn_out_put(w->o, ",\"start\":\"dropped\"");
        if (why) {
            mn_out_put(w->o, ",\"end\":\"%s (", end);
            put_chars(w, why, 64);
            mn_out_put(w->o, ")\"}");
        } else {
            mn_out_put(w->o, ",\"end\":\"%s\"}", end);
        }
        if (t->flow)
            mn_out_put(w->o, ",\"bind_id\":%llu,\"flow_in\":true", (unsigned long long)t->flow);
        mn_out_put(w->o, "}");
    }
    t->state = P_BUSY;
}

static void p_event(struct writer *w, const struct mn_xt_event *ev)
{
    struct ptrack *t = &ptracks[ev->p];
    if (ev->ts < t->window)
        return; /* before what its own ring kept: its state then is unknown */
    switch (ev->type) {
    case MN_XT_START:
        p_close(w, ev->p, ev->ts, "not recorded", NULL);
        t->state = P_RUN;
        t->since = ev->ts;
        t->start_dropped = false;
        t->gid = (int64_t)ev->a;
        t->name[0] = ev->c;
        t->name[1] = ev->d;
        t->m = ev->m;
        t->flow = ev->e;
        break;
    case MN_XT_STOP:
        if (t->state == P_UNKNOWN) { /* it started before the P's oldest event kept */
            t->state = P_RUN;
            t->since = t->window;
            t->start_dropped = true;
            t->gid = (int64_t)ev->a;
            t->name[0] = t->name[1] = 0;
            t->m = ev->m;
            t->flow = 0;
        }
        if (t->state == P_RUN && t->gid == (int64_t)ev->a)
            p_close(w, ev->p, ev->ts, ev->flags < 6 ? stop_names[ev->flags] : "?",
                    ev->flags == MN_XT_PARK ? (const char *)(uintptr_t)ev->b : NULL);
        break;
    case MN_XT_HANDOFF:
        p_close(w, ev->p, ev->ts, "P taken by sysmon",
                ev->flags ? "blocked where mnrt does not see" : "in a system call");
        break;
    case MN_XT_P_IDLE:
        p_close(w, ev->p, ev->ts, "P idle", NULL);
        t->state = P_IDLE;
        t->since = ev->ts;
        break;
    case MN_XT_P_BUSY:
        p_close(w, ev->p, ev->ts, "P taken by another M", NULL);
        break;
    }
}

/* ---- every other event ---- */

static void ready_slice(struct writer *w, const struct mn_xt_event *ev)
{
    int tid = track_of(w, ev);
    bool create = ev->type == MN_XT_CREATE;
    open_slice(w, ev->ts, ev->ts, tid, create ? "create" : "ready");
    mn_out_put(w->o, ",\"name\":\"%s thread %lld\",\"args\":{\"thread\":%lld",
               create ? "create" : "ready", (long long)ev->a, (long long)ev->a);
    int64_t by = (int64_t)(create ? ev->b : ev->c);
    if (by)
        mn_out_put(w->o, ",\"by\":%lld", (long long)by);
    if (!create)
        put_reason(w, "waited", (const char *)(uintptr_t)ev->b);
    if (ev->flags & MN_XT_BY_POLL)
        mn_out_put(w->o, ",\"netpoller\":true");
    mn_out_put(w->o, "}");
    if (ev->flags & FLOW)
        mn_out_put(w->o, ",\"bind_id\":%llu,\"flow_out\":true", (unsigned long long)ev->e);
    mn_out_put(w->o, "}");
}

static const char *const sleep_names[] = {"idle", "poll (netpoller and timers)",
                                          "wait for its locked thread"};

static void render(struct writer *w, const struct mn_xt_event *ev)
{
    if (ev->p >= 0 && ev->type != MN_XT_M_SLEEP && ev->type != MN_XT_M_START)
        p_event(w, ev);
    switch (ev->type) {
    case MN_XT_CREATE:
    case MN_XT_READY:
        ready_slice(w, ev);
        break;
    case MN_XT_STEAL:
        open_slice(w, ev->ts, ev->ts, track_of(w, ev), "steal");
        mn_out_put(w->o, ",\"name\":\"steal thread %lld from P%lld\",\"args\":{\"taken\":%lld}}",
                   (long long)ev->a, (long long)ev->b, (long long)ev->c);
        break;
    case MN_XT_HANDOFF:
        open_slice(w, ev->ts, ev->ts, other_track(w, ev), "handoff");
        mn_out_put(w->o, ",\"name\":\"handoff P%d\",\"args\":{\"thread\":%lld,\"M\":%lld,"
                         "\"blocked\":\"%s\"}}",
                   ev->p, (long long)ev->a, (long long)ev->b,
                   ev->flags ? "where mnrt does not see" : "in a system call");
        break;
    case MN_XT_PREEMPT:
        open_slice(w, ev->ts, ev->ts, other_track(w, ev), "preempt");
        mn_out_put(w->o, ",\"name\":\"preempt thread %lld on P%d\",\"args\":{\"M\":%lld}}",
                   (long long)ev->a, ev->p, (long long)ev->b);
        break;
    case MN_XT_NETPOLL:
        open_slice(w, (int64_t)ev->a, ev->ts, track_of(w, ev), "netpoll");
        mn_out_put(w->o, ",\"name\":\"netpoll\"}");
        break;
    case MN_XT_M_START:
        open_slice(w, ev->ts, ev->ts, other_track(w, ev), "M");
        mn_out_put(w->o, ",\"name\":\"M%d start\",\"args\":{\"kernel thread\":%lld}}", ev->m,
                   (long long)ev->a);
        break;
    case MN_XT_M_EXIT:
        open_slice(w, ev->ts, ev->ts, other_track(w, ev), "M");
        mn_out_put(w->o, ",\"name\":\"M%d exit\"}", ev->m);
        break;
    case MN_XT_M_SLEEP:
        open_slice(w, (int64_t)ev->a, ev->ts, other_track(w, ev), "sleep");
        mn_out_put(w->o, ",\"name\":\"%s\"", ev->flags < 3 ? sleep_names[ev->flags] : "sleep");
        if ((int64_t)ev->b > 0)
            mn_out_put(w->o, ",\"args\":{\"readied\":%lld}", (long long)ev->b);
        mn_out_put(w->o, "}");
        break;
    }
}

/* The next event in time order (ties: the shared ring first), or NULL. */
static struct mn_xt_event *next_event(void)
{
    struct copy *best = NULL;
    for (int k = 0; k < nactive; k++) {
        struct copy *c = active[k];
        while (c->next < c->n && !c->ev[c->next].type)
            c->next++;
        if (c->next < c->n && (!best || c->ev[c->next].ts < best->ev[best->next].ts))
            best = c;
    }
    return best ? &best->ev[best->next++] : NULL;
}

static void put_header(struct writer *w, const struct mn_xt_totals *t)
{
    extern char *program_invocation_short_name;
    mn_out_put(w->o, "{\"otherData\":{\"mnrt_trace\":\"complete\",\"pid\":%d,\"program\":\"",
               w->pid);
    put_chars(w, program_invocation_short_name, 256);
    mn_out_put(w->o, "\",\"events\":%lld,\"dropped\":%lld,\"ring_events_per_P\":%d,"
                     "\"shared_ring_events\":%d,\"dropped_by_ring\":{",
               (long long)t->events, (long long)t->dropped, MN_XT_RING, MN_XT_SHARED);
    bool any = false;
    for (int i = 0; i < NRINGS; i++)
        if (copies[i].dropped) {
            mn_out_put(w->o, any ? "," : "");
            if (i == MN_XT_SHARED_RING)
                mn_out_put(w->o, "\"shared\":%lld", (long long)copies[i].dropped);
            else
                mn_out_put(w->o, "\"P%d\":%lld", i, (long long)copies[i].dropped);
            any = true;
        }
    mn_out_put(w->o, "},\"dropped_means\":\"each ring keeps its newest events: when it wraps, "
                     "the oldest are overwritten\"},\n\"traceEvents\":[\n");
    mn_out_put(w->o, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":\"mnrt ",
               w->pid);
    put_chars(w, program_invocation_short_name, 256);
    mn_out_put(w->o, " (pid %d)\"}}", w->pid);
    w->first = false;
}

void mn_xt_json_write(struct mn_out *o, struct mn_xt_totals *t)
{
    t->events = t->dropped = 0;
    mn_xt_clock_freeze();
    int64_t end = mn_nanotime();
    for (int i = 0; i < NRINGS; i++)
        copy_ring(i, t);
    link_flows();
    nactive = 0;
    for (int k = 0; k < NRINGS; k++) {
        struct copy *c = &copies[k == 0 ? MN_XT_SHARED_RING : k - 1];
        c->next = 0;
        if (c->n)
            active[nactive++] = c;
    }
    struct writer w = {.o = o, .pid = (int)mn_raw_syscall(SYS_getpid), .t0 = mn_xt_start_ns(),
                       .first = true};
    memset(ptracks, 0, sizeof ptracks);
    memset(m_named, 0, sizeof m_named);
    for (int p = 0; p < MN_MAX_PROCS; p++) {
        struct copy *c = &copies[p];
        ptracks[p].window = INT64_MIN;
        for (uint64_t k = 0; k < c->n; k++)
            if (c->ev[k].type) {
                ptracks[p].window = c->ev[k].ts;
                break;
            }
    }
    put_header(&w, t);
    if (t->dropped)
        mn_out_put(o, ",\n{\"ts\":0,\"ph\":\"i\",\"s\":\"g\",\"pid\":%d,\"name\":\"mnrt: %lld "
                      "older events were dropped (full rings): tracks begin at their oldest "
                      "event kept\"}", w.pid, (long long)t->dropped);
    for (struct mn_xt_event *ev; (ev = next_event());)
        render(&w, ev);
    for (int p = 0; p < MN_MAX_PROCS; p++)
        p_close(&w, p, end, "still running", NULL);
    mn_out_put(o, "\n]}\n");
    for (int i = 0; i < NRINGS; i++)
        mn_mem_free(copies[i].ev, copies[i].bytes);
}
