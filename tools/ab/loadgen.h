/* The load generator of `mnrt ab`: event-driven (one epoll per thread), so
 * that one or two threads hold 10,000+ connections. It runs in the mnrt
 * tool itself, never under the preload.
 *
 * Protocols: echo (fixed-size messages, every byte checked) and http
 * (HTTP/1.1 GET, status checked, the body read by its Content-Length or
 * its chunks, Transfer-Encoding: chunked; a server that closes
 * after its response, as HTTP/1.0 and `Connection: close` servers do, is
 * answered with a new connection, not counted as an error) and banner (for
 * servers that speak first, as databases and mail servers do: a request
 * is a new connection, its reply the server's first bytes, its latency
 * from the connect to them; then the connection is closed, or held when
 * idle). Closed
 * loop (each connection sends its next request when the reply is in), or
 * open loop at a constant rate whose latencies count from the intended
 * send time, so a slow server cannot hide its queueing (no coordinated
 * omission). */
#ifndef MN_AB_LOADGEN_H
#define MN_AB_LOADGEN_H

#include "hist.h"

#include <stdbool.h>
#include <stdint.h>

enum ab_proto { AB_ECHO, AB_HTTP, AB_BANNER };

struct ab_load {
    const char *host;
    int port;
    enum ab_proto proto;
    int size;            /* echo message bytes */
    const char *path;    /* http */
    int conns;
    double rate;         /* requests/s in all, 0: closed loop */
    int threads;
    bool once;           /* one request per connection, then keep it open */
};

#define AB_SAMPLE 48

struct ab_counts {
    uint64_t requests;
    uint64_t err_connect, err_reset, err_timeout, err_bad;
    int conns_served;               /* connections a reply came on (ab_gen_counts) */
    struct ab_hist hist;
    char bad_sample[AB_SAMPLE];     /* the start of the first bad reply */
    int bad_len;
};

struct ab_gen;

/* Connects and starts the load; NULL with errno when it cannot start. */
struct ab_gen *ab_gen_start(const struct ab_load *load);
/* Starts counting afresh (the end of the warm-up). */
void ab_gen_reset(struct ab_gen *g);
/* What was counted since the last reset. */
void ab_gen_counts(struct ab_gen *g, struct ab_counts *out);
/* Stops the load and closes the connections. */
void ab_gen_stop(struct ab_gen *g);

/* Opens n connections that each make one request and then stay open,
 * waiting until all are answered or none has been for a few seconds (a
 * full listen backlog, an fd limit). Returns the fds (n of them, -1 where
 * it failed or the server closed it), counts in *c and in *open the
 * connections answered and still open. */
int *ab_idle_open(const struct ab_load *load, int n, struct ab_counts *c, int *open);
void ab_idle_close(int *fds, int n);

uint64_t ab_now_ns(void);

#endif
