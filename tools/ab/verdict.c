/* Whether a run measured anything, and the failures that say why not. A
 * step where more requests failed than were served (a server that speaks
 * another protocol, greets first like a database, refuses or resets) has
 * no figures worth comparing: it fails the run, naming the dominant error
 * and what the server said instead, so that `mnrt ab` never ends well on
 * a run that served nothing. */
#include "ab.h"
#include "loadparse.h"
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ab_fail(struct ab_result *r, const char *fmt, ...)
{
    if (r->nfailures == AB_MAX_FAILURES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->failures[r->nfailures++], sizeof r->failures[0], fmt, ap);
    va_end(ap);
}

/* bytes as a C string: printable ASCII as is, the rest as \xNN */
static void quote(char *out, size_t len, const char *b, int n)
{
    size_t o = 0;
    for (int i = 0; i < n && o + 5 < len; i++) {
        unsigned char ch = (unsigned char)b[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
    }
    out[o] = 0;
}

static void hint(char *buf, size_t len, const struct ab_config *c, int port,
                 const struct ab_counts *k, int dominant)
{
    char said[AB_SAMPLE * 4 + 1], greeting[AB_SAMPLE];
    int g = c->proto == AB_ECHO ? ab_server_greeting(c->host, port, greeting, sizeof greeting) : 0;
    if (g > 0) {
        quote(said, sizeof said, greeting, g);
        snprintf(buf, len,
                 "the server speaks first: on a new connection it sends \"%s\" before any "
                 "request (a database's greeting?); --proto echo cannot load it (see "
                 "tools/ab/README.md for what to use)", said);
    } else if (c->proto == AB_BANNER && dominant == 2) {
        snprintf(buf, len, "the server sent nothing on a new connection (in 10 s, or before the "
                           "run ended): it does not speak first (--proto echo or http?)");
    } else if (c->proto == AB_BANNER && dominant == 1) {
        snprintf(buf, len, "the server closed new connections without a greeting (a connection "
                           "limit? a server that speaks only after the client?)");
    } else if (dominant == 3) {
        quote(said, sizeof said, k->bad_sample, k->bad_len);
        snprintf(buf, len, "the first bad reply began \"%s\": %s", said,
                 c->proto == AB_ECHO ? "is it an echo server? (--proto http for HTTP)"
                                     : "HTTP wants status 200 and a Content-Length, chunks or a "
                                       "close after the body; does it speak HTTP? (--path)");
    } else if (dominant == 0) {
        snprintf(buf, len, "is the port right (--port), the listen backlog or the server's "
                           "fd limit too small?");
    } else if (dominant == 1) {
        snprintf(buf, len, "the server closes connections without replying: does it speak %s?",
                 c->proto == AB_ECHO ? "echo" : "HTTP");
    } else {
        snprintf(buf, len, "the server did not answer: the right protocol (--proto)?");
    }
}

bool ab_judge_step(struct ab_result *r, enum ab_side side, int round, int step, int port,
                   const struct ab_counts *k)
{
    const uint64_t err[4] = {k->err_connect, k->err_reset, k->err_timeout, k->err_bad};
    static const char *const what[4] = {"connections failed", "closed or reset before the reply",
                                        "no reply in 10 s", "bad replies"};
    uint64_t errors = err[0] + err[1] + err[2] + err[3];
    if (k->requests > 0 && errors <= k->requests)
        return true;
    int d = errors ? 0 : 2; /* no error yet: nothing answered within the window */
    for (int i = 1; i < 4; i++)
        if (err[i] > err[d])
            d = i;
    char h[512];
    hint(h, sizeof h, &r->cfg, port, k, d);
    if (!errors)
        ab_fail(r, "%s round %d, %d connections: no request was served, and none failed: "
                   "the server did not answer; %s",
                ab_side_name(side), round + 1, r->cfg.conns[step], h);
    else
        ab_fail(r, "%s round %d, %d connections: %llu requests served, %llu failed (mostly %s: "
                   "%llu); %s",
                ab_side_name(side), round + 1, r->cfg.conns[step],
                (unsigned long long)k->requests, (unsigned long long)errors, what[d],
                (unsigned long long)err[d], h);
    return false;
}

bool ab_judge_load(struct ab_result *r, enum ab_side side, int round, const struct ab_parsed *p)
{
    if (!p->has_counts || (p->served > 0 && p->errors <= p->served))
        return true;
    const char *unit = p->unit ? p->unit : "requests";
    if (!p->errors)
        ab_fail(r, "%s round %d: the load command (%s) exited with status 0 but reported no %s "
                   "served: it measured nothing",
                ab_side_name(side), round + 1, p->format, unit);
    else
        ab_fail(r, "%s round %d: the load command (%s) exited with status 0 but reported %llu "
                   "%s served and %llu errors (mostly %s): it measured failures, not the server",
                ab_side_name(side), round + 1, p->format, (unsigned long long)p->served, unit,
                (unsigned long long)p->errors, p->errors_what ? p->errors_what : "unnamed");
    return false;
}
