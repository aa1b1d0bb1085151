/* What a program sees of sockets and pipes must not change under mnrt:
 * each case prints its observable outcome, identical natively and under
 * the preload (tests/run_program.py compares them).
 * - close() or closefrom() of a socket another thread is blocked reading:
 *   on Linux the blocked read keeps the file open, and still gets what the
 *   peer sends; a blocked accept keeps its listener open and takes the
 *   next connection (once, under mnrt, it accepted on the closed number);
 * - shutdown(SHUT_RD) wakes a blocked reader with end of file;
 * - SO_RCVTIMEO ends a blocking recv with EAGAIN;
 * - the program's own non-blocking sockets (SOCK_NONBLOCK, fcntl,
 *   ioctl FIONBIO) get EAGAIN and keep their flags;
 * - a change of O_NONBLOCK or SO_RCVTIMEO made through a duplicate of a
 *   socket that already waited is seen at the next read (mnrt caches them);
 * - poll, select and epoll_wait wait for and report readiness, and time out;
 * - a socket that was waited on and is then closed by fclose (glibc closes
 *   it inside) or close_range: the peer sees end of file;
 * - connect to a closed port: ECONNREFUSED; a peer's reset: ECONNRESET;
 * - a 4 MiB write through a pipe and a socket arrives whole and in order;
 * - getaddrinfo("localhost") in one thread while others keep running. */
#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

/* a connected TCP pair on loopback */
static void tcp_pair(int sv[2])
{
    struct sockaddr_in a;
    int ls = listener(&a);
    sv[0] = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(connect(sv[0], (struct sockaddr *)&a, sizeof a), 0);
    sv[1] = accept(ls, NULL, NULL);
    CHECK(sv[1] >= 0, "accept: %s", strerror(errno));
    close(ls);
}

struct reader {
    int fd;
    char buf[64];
    ssize_t n;
    int err;
    atomic_int started;
};

static void *blocked_reader(void *arg)
{
    struct reader *r = arg;
    atomic_store(&r->started, 1);
    r->n = read(r->fd, r->buf, sizeof r->buf - 1);
    r->err = r->n < 0 ? errno : 0;
    if (r->n > 0)
        r->buf[r->n] = 0;
    return NULL;
}

static void start_reader(pthread_t *t, struct reader *r, int fd)
{
    *r = (struct reader){.fd = fd};
    pthread_create(t, NULL, blocked_reader, r);
    while (!atomic_load(&r->started))
        usleep(1000);
    usleep(50 * 1000); /* let it block in read */
}

/* how: "close", or "closefrom" (sv[1] and every fd above it) */
static void close_while_reading(const char *how)
{
    int sv[2];
    tcp_pair(sv);
    pthread_t t;
    struct reader r;
    start_reader(&t, &r, sv[1]);
    if (strcmp(how, "close") == 0)
        close(sv[1]); /* the blocked read keeps the socket open */
    else
        closefrom(sv[1]);
    usleep(50 * 1000);
    CHECK_EQ(write(sv[0], "late", 4), 4);
    pthread_join(t, NULL);
    printf("%s while reading: read %zd \"%s\" errno %d\n", how, r.n, r.n > 0 ? r.buf : "",
           r.err);
    close(sv[0]);
}

struct acceptor {
    int fd, got, err;
    atomic_int started;
};

static void *blocked_acceptor(void *arg)
{
    struct acceptor *a = arg;
    atomic_store(&a->started, 1);
    a->got = accept(a->fd, NULL, NULL);
    a->err = a->got < 0 ? errno : 0;
    return NULL;
}

/* close() of a listener another thread is blocked accepting on: the
 * blocked accept keeps it open and takes the next connection */
static void close_while_accepting(void)
{
    struct sockaddr_in addr;
    struct acceptor a = {.fd = listener(&addr)};
    pthread_t t;
    pthread_create(&t, NULL, blocked_acceptor, &a);
    while (!atomic_load(&a.started))
        usleep(1000);
    usleep(50 * 1000); /* let it block in accept */
    close(a.fd);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int r = connect(c, (struct sockaddr *)&addr, sizeof addr);
    pthread_join(t, NULL);
    printf("close while accepting: connect %s, accept %s errno %d\n", r == 0 ? "ok" : "failed",
           a.got >= 0 ? "a connection" : "-1", a.err);
    close(c);
    if (a.got >= 0)
        close(a.got);
}

static void shutdown_wakes_reader(void)
{
    int sv[2];
    tcp_pair(sv);
    pthread_t t;
    struct reader r;
    start_reader(&t, &r, sv[1]);
    shutdown(sv[1], SHUT_RD);
    pthread_join(t, NULL);
    printf("shutdown while reading: read %zd errno %d\n", r.n, r.err);
    close(sv[0]);
    close(sv[1]);
}

static void receive_timeout(void)
{
    int sv[2];
    tcp_pair(sv);
    struct timeval tv = {0, 100 * 1000};
    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char c;
    ssize_t n = recv(sv[1], &c, 1, 0);
    printf("SO_RCVTIMEO: recv %zd %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    CHECK_EQ(write(sv[0], "x", 1), 1);
    n = recv(sv[1], &c, 1, 0);
    printf("SO_RCVTIMEO with data: recv %zd '%c'\n", n, n == 1 ? c : '?');
    close(sv[0]);
    close(sv[1]);
}

static void own_nonblocking(void)
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    char c;
    ssize_t n = read(sv[0], &c, 1);
    printf("SOCK_NONBLOCK: read %zd %s, O_NONBLOCK %s\n", n, errno == EAGAIN ? "EAGAIN" : "?",
           fcntl(sv[0], F_GETFL) & O_NONBLOCK ? "set" : "clear");
    int off = 0;
    ioctl(sv[0], FIONBIO, &off);
    printf("FIONBIO 0: O_NONBLOCK %s\n", fcntl(sv[0], F_GETFL) & O_NONBLOCK ? "set" : "clear");
    int p[2];
    CHECK_EQ(pipe(p), 0);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    n = read(p[0], &c, 1);
    printf("pipe with O_NONBLOCK: read %zd %s\n", n, errno == EAGAIN ? "EAGAIN" : "?");
    printf("the other end stays blocking: %s\n",
           fcntl(p[1], F_GETFL) & O_NONBLOCK ? "no" : "yes");
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

static int poll_fd;

static void *late_writer(void *arg)
{
    (void)arg;
    usleep(50 * 1000);
    CHECK_EQ(write(poll_fd, "p", 1), 1);
    return NULL;
}

/* A TCP pair whose sv[1] has waited in a blocking read for a late byte
 * (so mnrt watches it and knows it as blocking); returns what read gave. */
static ssize_t watched_pair(int sv[2])
{
    tcp_pair(sv);
    poll_fd = sv[0];
    pthread_t t;
    char c;
    pthread_create(&t, NULL, late_writer, NULL);
    ssize_t n = read(sv[1], &c, 1);
    pthread_join(t, NULL);
    return n;
}

static void changes_through_a_duplicate(void)
{
    int sv[2];
    ssize_t n = watched_pair(sv);
    printf("blocking read after a wait: %zd\n", n);
    pthread_t t;
    char c;
    int d = dup(sv[1]);
    fcntl(d, F_SETFL, fcntl(d, F_GETFL) | O_NONBLOCK);
    n = read(sv[1], &c, 1);
    printf("O_NONBLOCK set through a dup: read %zd %s\n", n, errno == EAGAIN ? "EAGAIN" : "?");
    int off = 0;
    ioctl(d, FIONBIO, &off);
    struct timeval tv = {0, 50 * 1000};
    setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    n = read(sv[1], &c, 1);
    printf("FIONBIO 0 and SO_RCVTIMEO through the dup: read %zd %s\n", n,
           errno == EAGAIN ? "EAGAIN" : "?");
    tv.tv_usec = 0;
    setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    pthread_create(&t, NULL, late_writer, NULL);
    n = read(sv[1], &c, 1);
    pthread_join(t, NULL);
    printf("no timeout again: read %zd '%c'\n", n, n == 1 ? c : '?');
    close(d);
    close(sv[0]);
    close(sv[1]);
}

/* sv[1] waits for a byte (so mnrt watches it), then is closed by how */
static void closed_inside_glibc(const char *how)
{
    int sv[2];
    CHECK_EQ(watched_pair(sv), 1);
    char c;
    if (strcmp(how, "fclose") == 0) {
        FILE *f = fdopen(sv[1], "r+");
        CHECK(f != NULL, "fdopen: %s", strerror(errno));
        int rc = fclose(f);
        CHECK_EQ(rc, 0);
    } else {
        CHECK_EQ(close_range((unsigned)sv[1], (unsigned)sv[1], 0), 0);
    }
    struct pollfd pf = {.fd = sv[0], .events = POLLIN};
    int r = poll(&pf, 1, 5000);
    printf("%s of a watched socket: the peer %s\n", how,
           r == 1 && read(sv[0], &c, 1) == 0 ? "sees end of file" : "sees nothing in 5 s");
    close(sv[0]);
}

static void poll_select_epoll(void)
{
    int sv[2];
    tcp_pair(sv);
    poll_fd = sv[0];
    pthread_t t;
    struct pollfd pf = {.fd = sv[1], .events = POLLIN};
    printf("poll, nothing to read, 50 ms: %d\n", poll(&pf, 1, 50));
    pthread_create(&t, NULL, late_writer, NULL);
    int r = poll(&pf, 1, 5000);
    printf("poll, a write comes: %d revents %s\n", r, pf.revents & POLLIN ? "POLLIN" : "?");
    pthread_join(t, NULL);
    char c;
    CHECK_EQ(read(sv[1], &c, 1), 1);

    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(sv[1], &rs);
    struct timeval tv = {0, 50 * 1000};
    printf("select, nothing to read, 50 ms: %d\n", select(sv[1] + 1, &rs, NULL, NULL, &tv));
    pthread_create(&t, NULL, late_writer, NULL);
    FD_SET(sv[1], &rs);
    r = select(sv[1] + 1, &rs, NULL, NULL, NULL);
    printf("select, a write comes: %d readable %d\n", r, FD_ISSET(sv[1], &rs) ? 1 : 0);
    pthread_join(t, NULL);
    CHECK_EQ(read(sv[1], &c, 1), 1);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
    printf("epoll_wait, nothing to read, 50 ms: %d\n", epoll_wait(ep, &ev, 1, 50));
    pthread_create(&t, NULL, late_writer, NULL);
    r = epoll_wait(ep, &ev, 1, 5000);
    printf("epoll_wait, a write comes: %d data %u\n", r, ev.data.u32);
    pthread_join(t, NULL);
    close(ep);
    close(sv[0]);
    close(sv[1]);
}

static void refused_and_reset(void)
{
    struct sockaddr_in a;
    int ls = listener(&a);
    close(ls); /* nobody listens on that port now */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    printf("connect to a closed port: %d %s\n", r, errno == ECONNREFUSED ? "ECONNREFUSED" : "?");
    close(s);

    int sv[2];
    tcp_pair(sv);
    struct linger lg = {1, 0};
    setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(sv[0]); /* sends a reset */
    char c;
    ssize_t n = read(sv[1], &c, 1);
    printf("peer reset: read %zd %s\n", n, errno == ECONNRESET ? "ECONNRESET" : "?");
    close(sv[1]);
}

#define BIG (4 << 20)

struct bulk {
    int fd;
    unsigned char *buf;
};

static void *bulk_writer(void *arg)
{
    struct bulk *b = arg;
    CHECK_EQ(write(b->fd, b->buf, BIG), BIG);
    return NULL;
}

static void bulk(const char *what, int rd, int wr)
{
    static unsigned char out[BIG], in[BIG];
    for (int i = 0; i < BIG; i++)
        out[i] = (unsigned char)(i * 7 + i / 251);
    struct bulk b = {wr, out};
    pthread_t t;
    pthread_create(&t, NULL, bulk_writer, &b);
    size_t got = 0;
    while (got < BIG) {
        ssize_t n = read(rd, in + got, BIG - got);
        CHECK(n > 0, "%s: read %zd: %s", what, n, strerror(errno));
        got += (size_t)n;
    }
    pthread_join(t, NULL);
    printf("%s: %d bytes, %s\n", what, BIG, memcmp(in, out, BIG) ? "CORRUPT" : "intact");
}

static atomic_int ticks;
static atomic_bool stop;

static void *ticker(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&ticks, 1);
        usleep(1000);
    }
    return NULL;
}

static void lookup_while_others_run(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, ticker, NULL);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    int r = getaddrinfo("localhost", "80", &hints, &res);
    char host[64] = "?";
    if (r == 0) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, host, sizeof host);
        freeaddrinfo(res);
    }
    int before = atomic_load(&ticks);
    usleep(50 * 1000);
    atomic_store(&stop, true);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("getaddrinfo(localhost): %d %s; others kept running: %s\n", r, host,
           atomic_load(&ticks) > before ? "yes" : "no");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    close_while_reading("close");
    close_while_accepting();
    close_while_reading("closefrom");
    shutdown_wakes_reader();
    receive_timeout();
    own_nonblocking();
    changes_through_a_duplicate();
    poll_select_epoll();
    closed_inside_glibc("fclose");
    closed_inside_glibc("close_range");
    refused_and_reset();
    int p[2];
    CHECK_EQ(pipe(p), 0);
    bulk("pipe", p[0], p[1]);
    int sv[2];
    tcp_pair(sv);
    bulk("tcp", sv[1], sv[0]);
    lookup_while_others_run();
    return 0;
}
