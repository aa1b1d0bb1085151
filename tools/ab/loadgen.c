/* The load generator: see loadgen.h. Each thread owns its share of the
 * connections and its own epoll, histogram and counters (merged under
 * the generator's lock when read), so the load path takes no lock. */
#include "loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_TIMEOUT_NS (10ull * 1000000000)
#define RECONNECT_NS (100ull * 1000000)
#define IO_BUF 65536
#define IDLE_STALL_NS (5ull * 1000000000)   /* no idle connection answered: give up */
#define IDLE_DEADLINE_NS (60ull * 1000000000)

enum cstate { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
    int fd, id;
    enum cstate state;
    uint32_t seq;
    uint64_t started;       /* intended send time of the request in flight */
    uint64_t opened;        /* when the connection was opened (banner: the request's start) */
    uint64_t resend;        /* a request the server closed the connection on, to send again
                             * on the new one (its intended time), or 0 */
    uint64_t retry_at;      /* C_DOWN: when to connect again */
    size_t out_len, out_off, in_len, want; /* want: echo bytes, or http body end */
    bool head_done;
    bool close_after;       /* http: the server closes after this response */
    bool to_eof;            /* http: the body ends where the server closes */
    bool chunked;           /* http: Transfer-Encoding: chunked */
    bool in_trailer;        /* chunked: past the last chunk, in the trailer */
    size_t chunk_at;        /* chunked: where the next size (or trailer) line begins in in */
    size_t chunk_left;      /* chunked: bytes of the current chunk (and its CRLF) to come */
    bool answered;          /* a reply came on this connection */
    bool served;            /* a reply came on this slot since the last reset (under lock) */
    char *out, *in;
};

struct worker {
    struct ab_gen *gen;
    pthread_t thread;
    int ep;
    struct conn *c;
    int n;
    double rate;            /* this thread's share, 0: closed loop */
    uint64_t next_send;     /* open loop: the next intended send time */
    uint64_t *backlog;      /* open loop: intended times waiting for a free conn */
    size_t bl_head, bl_len, bl_cap;
    pthread_mutex_t lock;   /* guards counts */
    struct ab_counts counts;
};

struct ab_gen {
    struct ab_load load;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    atomic_bool stop;
    struct worker *w;
};

uint64_t ab_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int resolve(const struct ab_load *l, struct sockaddr_storage *a, socklen_t *len)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    char port[16];
    snprintf(port, sizeof port, "%d", l->port);
    if (getaddrinfo(l->host, port, &hints, &res) != 0)
        return -1;
    memcpy(a, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static void count_error(struct worker *w, uint64_t *field)
{
    pthread_mutex_lock(&w->lock);
    (*field)++;
    pthread_mutex_unlock(&w->lock);
}

/* A bad reply: counted, and the first one kept, to show what the server
 * said instead (a banner, another protocol). */
static void count_bad(struct worker *w, const struct conn *c)
{
    pthread_mutex_lock(&w->lock);
    w->counts.err_bad++;
    if (!w->counts.bad_len) {
        size_t n = c->in_len < AB_SAMPLE ? c->in_len : AB_SAMPLE;
        memcpy(w->counts.bad_sample, c->in, n);
        w->counts.bad_len = (int)n;
    }
    pthread_mutex_unlock(&w->lock);
}

static void conn_down(struct worker *w, struct conn *c, uint64_t *err)
{
    if (err)
        count_error(w, err);
    if (c->fd >= 0) {
        epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = C_DOWN;
    c->retry_at = ab_now_ns() + RECONNECT_NS;
}

static void conn_open(struct worker *w, struct conn *c)
{
    struct ab_gen *g = w->gen;
    c->answered = false;
    c->opened = ab_now_ns();
    c->fd = socket(g->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_down(w, c, &w->counts.err_connect);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&g->addr, g->addrlen) != 0 && errno != EINPROGRESS) {
        conn_down(w, c, &w->counts.err_connect);
        return;
    }
    c->state = C_CONNECTING;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void fill_echo(struct conn *c, int size)
{
    for (int i = 0; i < size; i++)
        c->out[i] = (char)(c->id * 131 + c->seq * 31 + i);
    c->out_len = (size_t)size;
}

/* Sends the next request, counting its latency from `intended`. */
static void conn_send(struct worker *w, struct conn *c, uint64_t intended)
{
    const struct ab_load *l = &w->gen->load;
    c->seq++;
    if (l->proto == AB_BANNER) { /* nothing to send: the server speaks first */
        c->out_len = c->out_off = c->in_len = 0;
        c->started = c->opened;
        c->close_after = !l->once; /* the next greeting on a new connection */
        c->state = C_BUSY;
        return;
    }
    if (l->proto == AB_ECHO) {
        fill_echo(c, l->size);
        c->want = (size_t)l->size;
    } else {
        c->out_len = (size_t)snprintf(c->out, IO_BUF, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
                                      l->path, l->host);
        c->head_done = c->close_after = c->to_eof = c->chunked = c->in_trailer = false;
        c->chunk_left = 0;
        c->want = 0;
    }
    c->out_off = c->in_len = 0;
    c->started = intended;
    c->state = C_BUSY;
    ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) {
        conn_down(w, c, &w->counts.err_reset);
        return;
    }
    if (n > 0)
        c->out_off = (size_t)n;
}

/* HTTP: headers complete in c->in? Sets want to the end of the body.
 * Returns 1 when parsed, 0 when more is needed, -1 on a bad reply. */
static int http_head(struct conn *c)
{
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end)
        return c->in_len == IO_BUF ? -1 : 0;
    size_t head = (size_t)(end - c->in) + 4;
    int minor = 1, status = 0;
    if (sscanf(c->in, "HTTP/1.%d %d", &minor, &status) != 2 || status != 200)
        return -1;
    char saved = c->in[head - 1];
    c->in[head - 1] = 0;
    const char *cl = strcasestr(c->in, "\r\ncontent-length:");
    /* HTTP/1.0 closes unless it says keep-alive, HTTP/1.1 keeps the
     * connection unless it says close */
    c->close_after = minor == 0 ? !strcasestr(c->in, "\r\nconnection: keep-alive")
                                : strcasestr(c->in, "\r\nconnection: close") != NULL;
    const char *te = strcasestr(c->in, "\r\ntransfer-encoding:");
    bool chunked = te && memmem(te, strcspn(te + 2, "\r") + 2, "chunked", 7);
    c->in[head - 1] = saved;
    c->head_done = true;
    if (chunked) { /* the body ends with its last chunk (chunk_scan) */
        c->chunked = true;
        c->chunk_at = head;
        c->want = SIZE_MAX;
        return 1;
    }
    if (!cl && c->close_after) { /* the body ends with the connection */
        c->to_eof = true;
        c->want = SIZE_MAX;
        return 1;
    }
    if (!cl)
        return -1;
    long len = strtol(cl + 17, NULL, 10);
    if (len < 0 || head + (size_t)len > IO_BUF)
        return -1;
    c->want = head + (size_t)len;
    return 1;
}

/* Chunked body: reads what has come since the last call. Returns 1 when
 * the body (last chunk and trailer) is complete, 0 when more is needed,
 * -1 when it is not chunked encoding or more follows it (not ours). What
 * has been read is dropped from c->in as it goes, so a body may be larger
 * than the buffer. */
static int chunk_scan(struct conn *c)
{
    for (;;) {
        if (c->chunk_left) { /* inside a chunk's data (and the CRLF after it) */
            size_t take = c->in_len - c->chunk_at;
            if (take > c->chunk_left)
                take = c->chunk_left;
            c->chunk_at += take;
            c->chunk_left -= take;
            if (c->chunk_left)
                break;
            continue;
        }
        char *line = c->in + c->chunk_at;
        char *eol = memmem(line, c->in_len - c->chunk_at, "\r\n", 2);
        if (!eol) {
            if (c->in_len - c->chunk_at > 4096) /* no size or trailer line is that long */
                return -1;
            break;
        }
        c->chunk_at = (size_t)(eol - c->in) + 2;
        if (c->in_trailer) {
            if (eol != line)
                continue; /* a trailer field */
            return c->chunk_at == c->in_len ? 1 : -1;
        }
        char *end;
        unsigned long long size = strtoull(line, &end, 16);
        if (end == line || (end != eol && *end != ';' && *end != ' ' && *end != '\t'))
            return -1;
        if (size == 0)
            c->in_trailer = true;
        else
            c->chunk_left = (size_t)size + 2;
    }
    /* drop what was read, keeping a partial line */
    memmove(c->in, c->in + c->chunk_at, c->in_len - c->chunk_at);
    c->in_len -= c->chunk_at;
    c->chunk_at = 0;
    return 0;
}

static void next_request(struct worker *w, struct conn *c)
{
    if (c->resend) { /* first, the request lost with the last connection */
        uint64_t t = c->resend;
        c->resend = 0;
        conn_send(w, c, t);
    } else if (w->gen->load.once && c->seq >= 1) {
        c->state = C_IDLE;
    } else if (w->rate == 0) {
        conn_send(w, c, ab_now_ns());
    } else if (w->bl_len) {
        uint64_t t = w->backlog[w->bl_head];
        w->bl_head = (w->bl_head + 1) % w->bl_cap;
        w->bl_len--;
        conn_send(w, c, t);
    } else {
        c->state = C_IDLE;
    }
}

/* The server closed a connection that had served: its next request goes
 * on a new one (idle connections stay closed: the server does not hold
 * them). Not an error. A request it closed the connection on (a keep-alive
 * connection closed as the request arrived) goes again first, its latency
 * counted from its first send: in open loop it is not lost. */
static void reconnect(struct worker *w, struct conn *c)
{
    if (c->state == C_BUSY && !c->head_done && c->in_len == 0 && !w->gen->load.once &&
        w->gen->load.proto == AB_HTTP)
        c->resend = c->started;
    conn_down(w, c, NULL);
    if (w->gen->load.once)
        c->retry_at = UINT64_MAX;
    else
        conn_open(w, c);
}

static void complete(struct worker *w, struct conn *c)
{
    uint64_t lat = ab_now_ns() - c->started;
    pthread_mutex_lock(&w->lock);
    w->counts.requests++;
    ab_hist_add(&w->counts.hist, lat);
    c->served = true;
    pthread_mutex_unlock(&w->lock);
    c->answered = true;
    if (c->close_after)
        reconnect(w, c);
    else
        next_request(w, c);
}

static void on_readable(struct worker *w, struct conn *c)
{
    const struct ab_load *l = &w->gen->load;
    for (;;) {
        size_t room = (l->proto == AB_ECHO ? c->want : IO_BUF) - c->in_len;
        if (room == 0)
            break;
        ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
        if (n == 0 && c->to_eof) {
            complete(w, c);
            return;
        }
        /* a keep-alive connection closed between requests (idle timeout,
         * request limit): the request goes again on a new connection */
        if (n == 0 && l->proto == AB_HTTP && c->in_len == 0 && c->answered) {
            reconnect(w, c);
            return;
        }
        if (n == 0 && l->proto == AB_ECHO && memcmp(c->in, c->out, c->in_len) != 0) {
            count_bad(w, c); /* something else than the echo, then a close */
            conn_down(w, c, NULL);
            return;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            conn_down(w, c, &w->counts.err_reset);
            return;
        }
        if (n < 0)
            return;
        c->in_len += (size_t)n;
        if (l->proto == AB_BANNER) { /* the greeting's first bytes */
            complete(w, c);
            return;
        }
        if (l->proto == AB_ECHO) {
            if (c->in_len < c->want)
                continue;
            if (memcmp(c->in, c->out, c->want) != 0) {
                count_bad(w, c);
                conn_down(w, c, NULL);
                return;
            }
            complete(w, c);
            return;
        }
        if (!c->head_done) {
            int h = http_head(c);
            if (h < 0) {
                count_bad(w, c);
                conn_down(w, c, NULL);
                return;
            }
            if (h == 0)
                continue;
        }
        if (c->chunked) {
            int k = chunk_scan(c);
            if (k < 0) {
                count_bad(w, c);
                conn_down(w, c, NULL);
                return;
            }
            if (k == 0)
                continue;
            complete(w, c);
            return;
        }
        if (c->to_eof && c->in_len == IO_BUF) { /* a long body: only its end counts */
            c->in_len = 0;
            continue;
        }
        if (c->in_len >= c->want) {
            if (c->in_len > c->want) { /* more than one reply: not ours */
                count_bad(w, c);
                conn_down(w, c, NULL);
                return;
            }
            complete(w, c);
            return;
        }
    }
}

static void on_event(struct worker *w, struct conn *c, uint32_t ev)
{
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err || (ev & (EPOLLERR | EPOLLHUP))) {
            conn_down(w, c, &w->counts.err_connect);
            return;
        }
        struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
        epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &e);
        next_request(w, c);
        return;
    }
    if (c->state != C_BUSY) {
        if (ev & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
            if (w->gen->load.proto == AB_HTTP && c->answered)
                reconnect(w, c); /* an idle keep-alive connection closed */
            else
                conn_down(w, c, &w->counts.err_reset);
        }
        return;
    }
    if ((ev & EPOLLOUT) && c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) {
            conn_down(w, c, &w->counts.err_reset);
            return;
        }
        if (n > 0)
            c->out_off += (size_t)n;
    }
    if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        on_readable(w, c);
}

/* Open loop: hands the intended send times that came due to idle
 * connections, or queues them. */
static void pace(struct worker *w, uint64_t now)
{
    double gap = 1e9 / w->rate;
    while ((double)w->next_send <= (double)now) {
        struct conn *idle = NULL;
        for (int i = 0; i < w->n && !idle; i++)
            if (w->c[i].state == C_IDLE)
                idle = &w->c[i];
        if (idle) {
            conn_send(w, idle, w->next_send);
        } else {
            if (w->bl_len == w->bl_cap) {
                size_t cap = w->bl_cap ? 2 * w->bl_cap : 1024;
                uint64_t *b = malloc(cap * sizeof *b);
                if (!b)
                    return;
                for (size_t i = 0; i < w->bl_len; i++)
                    b[i] = w->backlog[(w->bl_head + i) % w->bl_cap];
                free(w->backlog);
                w->backlog = b;
                w->bl_head = 0;
                w->bl_cap = cap;
            }
            w->backlog[(w->bl_head + w->bl_len++) % w->bl_cap] = w->next_send;
        }
        w->next_send += (uint64_t)gap;
    }
}

static void housekeeping(struct worker *w, uint64_t now)
{
    for (int i = 0; i < w->n; i++) {
        struct conn *c = &w->c[i];
        if (c->state == C_DOWN && now >= c->retry_at)
            conn_open(w, c);
        else if (c->state == C_BUSY && now - c->started > REQUEST_TIMEOUT_NS)
            conn_down(w, c, &w->counts.err_timeout);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[512];
    uint64_t next_house = 0;
    while (!atomic_load(&w->gen->stop)) {
        int n = epoll_wait(w->ep, evs, 512, w->rate ? 1 : 20);
        for (int i = 0; i < n; i++)
            on_event(w, evs[i].data.ptr, evs[i].events);
        uint64_t now = ab_now_ns();
        if (w->rate)
            pace(w, now);
        if (now >= next_house) {
            housekeeping(w, now);
            next_house = now + 20 * 1000000ull;
        }
    }
    return NULL;
}

static int workers_init(struct ab_gen *g, int threads, int conns)
{
    g->w = calloc((size_t)threads, sizeof *g->w);
    if (!g->w)
        return -1;
    uint64_t now = ab_now_ns();
    for (int t = 0; t < threads; t++) {
        struct worker *w = &g->w[t];
        w->gen = g;
        pthread_mutex_init(&w->lock, NULL);
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        int from = conns * t / threads, to = conns * (t + 1) / threads;
        w->n = to - from;
        w->c = calloc((size_t)(w->n > 0 ? w->n : 1), sizeof *w->c);
        if (w->ep < 0 || !w->c)
            return -1;
        w->rate = g->load.rate / threads;
        w->next_send = now;
        for (int i = 0; i < w->n; i++) {
            struct conn *c = &w->c[i];
            c->id = from + i;
            c->fd = -1;
            c->out = malloc(IO_BUF);
            c->in = malloc(IO_BUF);
            if (!c->out || !c->in)
                return -1;
        }
    }
    return 0;
}

struct ab_gen *ab_gen_start(const struct ab_load *load)
{
    struct ab_gen *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->load = *load;
    if (load->threads < 1)
        g->load.threads = 1;
    if (resolve(load, &g->addr, &g->addrlen) != 0 ||
        workers_init(g, g->load.threads, load->conns) != 0) {
        free(g);
        errno = EINVAL;
        return NULL;
    }
    for (int t = 0; t < g->load.threads; t++) {
        for (int i = 0; i < g->w[t].n; i++)
            conn_open(&g->w[t], &g->w[t].c[i]);
        pthread_create(&g->w[t].thread, NULL, worker_main, &g->w[t]);
    }
    return g;
}

void ab_gen_reset(struct ab_gen *g)
{
    for (int t = 0; t < g->load.threads; t++) {
        pthread_mutex_lock(&g->w[t].lock);
        memset(&g->w[t].counts, 0, sizeof g->w[t].counts);
        for (int i = 0; i < g->w[t].n; i++)
            g->w[t].c[i].served = false;
        pthread_mutex_unlock(&g->w[t].lock);
    }
}

void ab_gen_counts(struct ab_gen *g, struct ab_counts *out)
{
    memset(out, 0, sizeof *out);
    for (int t = 0; t < g->load.threads; t++) {
        struct worker *w = &g->w[t];
        pthread_mutex_lock(&w->lock);
        out->requests += w->counts.requests;
        out->err_connect += w->counts.err_connect;
        out->err_reset += w->counts.err_reset;
        out->err_timeout += w->counts.err_timeout;
        out->err_bad += w->counts.err_bad;
        if (!out->bad_len && w->counts.bad_len) {
            memcpy(out->bad_sample, w->counts.bad_sample, sizeof out->bad_sample);
            out->bad_len = w->counts.bad_len;
        }
        ab_hist_merge(&out->hist, &w->counts.hist);
        for (int i = 0; i < w->n; i++)
            out->conns_served += w->c[i].served;
        pthread_mutex_unlock(&w->lock);
    }
}

void ab_gen_stop(struct ab_gen *g)
{
    atomic_store(&g->stop, true);
    for (int t = 0; t < g->load.threads; t++) {
        struct worker *w = &g->w[t];
        pthread_join(w->thread, NULL);
        for (int i = 0; i < w->n; i++) {
            if (w->c[i].fd >= 0)
                close(w->c[i].fd);
            free(w->c[i].out);
            free(w->c[i].in);
        }
        free(w->c);
        free(w->backlog);
        close(w->ep);
        pthread_mutex_destroy(&w->lock);
    }
    free(g->w);
    free(g);
}

/* ---- idle connections: one request each, then held open ---- */

int *ab_idle_open(const struct ab_load *load, int n, struct ab_counts *counts, int *open)
{
    memset(counts, 0, sizeof *counts);
    int *fds = malloc((size_t)(n > 0 ? n : 1) * sizeof *fds);
    if (!fds)
        return NULL;
    struct ab_load one = *load;
    one.conns = n;
    one.threads = 1;
    one.rate = 0;
    one.once = true;
    struct ab_gen *g = ab_gen_start(&one);
    if (!g) {
        free(fds);
        return NULL;
    }
    struct worker *w = &g->w[0];
    uint64_t start = ab_now_ns(), last = start, seen = 0;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        uint64_t done = w->counts.requests;
        pthread_mutex_unlock(&w->lock);
        uint64_t now = ab_now_ns();
        if (done != seen)
            last = now;
        seen = done;
        if (done >= (uint64_t)n || now - last > IDLE_STALL_NS || now - start > IDLE_DEADLINE_NS)
            break;
        usleep(20000);
    }
    atomic_store(&g->stop, true);
    pthread_join(w->thread, NULL);
    *open = 0;
    for (int i = 0; i < n; i++) {
        fds[i] = w->c[i].fd;
        w->c[i].fd = -1;
        if (fds[i] >= 0)
            epoll_ctl(w->ep, EPOLL_CTL_DEL, fds[i], NULL);
        *open += fds[i] >= 0 && w->c[i].answered;
    }
    *counts = w->counts;
    for (int i = 0; i < n; i++) {
        free(w->c[i].out);
        free(w->c[i].in);
    }
    free(w->c);
    close(w->ep);
    free(g->w);
    free(g);
    return fds;
}

void ab_idle_close(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
}
