/* Wake-ups are never lost: two threads bounce a byte over two pipes and
 * over a socket pair, waiting in read, in poll, in select and in
 * epoll_wait, many thousand times each; and one thread accepts thousands
 * of connections one after the other, each answered with a byte. Every byte is checked; a lost
 * wake-up hangs the program (the runner's timeout fails it). The output is
 * the same natively and under the preload. */
#include "check.h"

#include <poll.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define ROUNDS 20000

enum how { BY_READ, BY_POLL, BY_SELECT, BY_EPOLL };
static const char *const names[] = {"read", "poll", "select", "epoll_wait"};

struct end {
    int in, out;
    enum how how;
    int ep;
};

/* waits as asked until in is readable, then reads one byte */
static unsigned char get(struct end *e)
{
    if (e->how == BY_POLL) {
        struct pollfd pf = {.fd = e->in, .events = POLLIN};
        CHECK_EQ(poll(&pf, 1, -1), 1);
    } else if (e->how == BY_SELECT) {
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(e->in, &rs);
        CHECK_EQ(select(e->in + 1, &rs, NULL, NULL, NULL), 1);
    } else if (e->how == BY_EPOLL) {
        struct epoll_event ev;
        CHECK_EQ(epoll_wait(e->ep, &ev, 1, -1), 1);
    }
    unsigned char c;
    CHECK_EQ(read(e->in, &c, 1), 1);
    return c;
}

static void put(struct end *e, unsigned char c)
{
    CHECK_EQ(write(e->out, &c, 1), 1);
}

static void *echo_side(void *arg)
{
    struct end *e = arg;
    for (int i = 0; i < ROUNDS; i++)
        put(e, get(e));
    return NULL;
}

static void run(enum how how, bool sockets)
{
    int a[2], b[2];
    if (sockets) {
        CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, a), 0);
        CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
    } else {
        CHECK_EQ(pipe(a), 0);
        CHECK_EQ(pipe(b), 0);
    }
    struct end mine = {.in = b[0], .out = a[1], .how = how, .ep = -1};
    struct end theirs = {.in = a[0], .out = b[1], .how = how, .ep = -1};
    if (how == BY_EPOLL) {
        struct end *ends[] = {&mine, &theirs};
        for (int i = 0; i < 2; i++) {
            ends[i]->ep = epoll_create1(0);
            struct epoll_event ev = {.events = EPOLLIN, .data.fd = ends[i]->in};
            CHECK_EQ(epoll_ctl(ends[i]->ep, EPOLL_CTL_ADD, ends[i]->in, &ev), 0);
        }
    }
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, echo_side, &theirs), 0);
    int bad = 0;
    for (int i = 0; i < ROUNDS; i++) {
        put(&mine, (unsigned char)i);
        bad += get(&mine) != (unsigned char)i;
    }
    CHECK_EQ(pthread_join(t, NULL), 0);
    printf("%s on %s: %d round trips, %d wrong bytes\n", names[how],
           sockets ? "socket pairs" : "pipes", ROUNDS, bad);
    for (int i = 0; i < 2; i++) {
        close(a[i]);
        close(b[i]);
    }
    if (how == BY_EPOLL) {
        close(mine.ep);
        close(theirs.ep);
    }
}

#define CONNECTIONS 5000

static void *acceptor(void *arg)
{
    int ls = *(int *)arg;
    for (int i = 0; i < CONNECTIONS; i++) {
        int c = accept(ls, NULL, NULL);
        CHECK(c >= 0, "accept: %s", strerror(errno));
        put(&(struct end){.out = c}, (unsigned char)i);
        close(c);
    }
    return NULL;
}

/* a listener that waits in accept between connections, armed all along */
static void accept_one_by_one(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_EQ(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t al = sizeof a;
    CHECK_EQ(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    CHECK_EQ(listen(ls, 128), 0);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, acceptor, &ls), 0);
    int bad = 0;
    for (int i = 0; i < CONNECTIONS; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(connect(s, (struct sockaddr *)&a, sizeof a), 0);
        bad += get(&(struct end){.in = s, .how = BY_READ}) != (unsigned char)i;
        close(s);
        if (i % 5 == 0)
            usleep(50); /* now and then the acceptor waits before a connection comes */
    }
    CHECK_EQ(pthread_join(t, NULL), 0);
    printf("accept: %d connections one after the other, %d wrong bytes\n", CONNECTIONS, bad);
    close(ls);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int how = BY_READ; how <= BY_EPOLL; how++) {
        run((enum how)how, false);
        run((enum how)how, true);
    }
    accept_one_by_one();
    return 0;
}
