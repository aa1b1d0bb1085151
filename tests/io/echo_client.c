/* Load for the echo server tests: N connections from one thread with epoll
 * (it runs natively: the server is the program under test). Each
 * connection sends M messages of S bytes whose content depends on the
 * connection and the message, waits for each echo and checks every byte.
 * usage: echo_client PORT CONNS MSGS SIZE; exit 0 when every byte came
 * back right, 1 otherwise (with the reason on stderr). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn {
    int fd, id, msg;
    size_t sent, got;
    unsigned char *out, *in;
};

static int size;

static void fill(struct conn *c)
{
    for (int i = 0; i < size; i++)
        c->out[i] = (unsigned char)(c->id * 131 + c->msg * 31 + i);
}

static void die(const char *what, int id)
{
    fprintf(stderr, "echo_client: %s (connection %d): %s\n", what, id, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: echo_client PORT CONNS MSGS SIZE\n");
        return 2;
    }
    int port = atoi(argv[1]), nconn = atoi(argv[2]), msgs = atoi(argv[3]);
    size = atoi(argv[4]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    int ep = epoll_create1(0);
    struct conn *cs = calloc((size_t)nconn, sizeof *cs);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    for (int i = 0; i < nconn; i++) {
        struct conn *c = &cs[i];
        c->id = i;
        c->out = malloc((size_t)size);
        c->in = malloc((size_t)size);
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        if (c->fd < 0)
            die("socket", i);
        int tries = 0;
        while (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
            if (++tries > 200) /* a full backlog refuses briefly */
                die("connect", i);
            close(c->fd);
            usleep(10000);
            c->fd = socket(AF_INET, SOCK_STREAM, 0);
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c->fd, F_SETFL, O_NONBLOCK);
        fill(c);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    }
    int done = 0;
    struct epoll_event evs[256];
    while (done < nconn) {
        int n = epoll_wait(ep, evs, 256, 30000);
        if (n == 0) {
            fprintf(stderr, "echo_client: no progress for 30 s (%d of %d done)\n", done, nconn);
            return 1;
        }
        for (int k = 0; k < n; k++) {
            struct conn *c = evs[k].data.ptr;
            if (c->msg == msgs)
                continue;
            if (c->sent < (size_t)size) {
                ssize_t w = write(c->fd, c->out + c->sent, (size_t)size - c->sent);
                if (w < 0 && errno != EAGAIN)
                    die("write", c->id);
                if (w > 0)
                    c->sent += (size_t)w;
            }
            ssize_t r = read(c->fd, c->in + c->got, (size_t)size - c->got);
            if (r == 0) {
                errno = ECONNRESET;
                die("server closed", c->id);
            }
            if (r < 0 && errno != EAGAIN)
                die("read", c->id);
            if (r > 0)
                c->got += (size_t)r;
            if (c->got == (size_t)size) {
                if (memcmp(c->in, c->out, (size_t)size) != 0) {
                    fprintf(stderr, "echo_client: wrong bytes on connection %d message %d\n",
                            c->id, c->msg);
                    return 1;
                }
                c->msg++;
                c->sent = c->got = 0;
                if (c->msg == msgs) {
                    done++;
                    struct epoll_event none = {0};
                    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, &none);
                } else {
                    fill(c);
                    ssize_t w = write(c->fd, c->out, (size_t)size);
                    if (w > 0)
                        c->sent = (size_t)w;
                }
            }
        }
    }
    for (int i = 0; i < nconn; i++)
        close(cs[i].fd);
    return 0;
}
