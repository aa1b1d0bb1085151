/* The demo servers' listening socket, accept loop and protocols: see
 * serve.h. One pthread per connection, blocking read and write, nothing
 * clever: the kind of server mnrt exists for. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 16384

static const char *server_name;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void echo(int fd, char *buf, size_t have)
{
    ssize_t n = (ssize_t)have;
    do {
        if (write_all(fd, buf, (size_t)n) < 0)
            return;
    } while ((n = read(fd, buf, BUF)) > 0);
}

/* Serves requests from buf (have bytes already read) until the client
 * closes or asks to. */
static void http(int fd, char *buf, size_t have)
{
    for (;;) {
        char *end;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            if (have == BUF)
                return; /* headers too large */
            ssize_t n = read(fd, buf + have, BUF - have);
            if (n <= 0)
                return;
            have += (size_t)n;
        }
        size_t head = (size_t)(end - buf) + 4;
        char path[256] = "/";
        sscanf(buf, "%*s %255s", path);
        buf[head - 1] = 0;
        int close_after = strcasestr(buf, "\r\nconnection: close") != NULL;
        char body[320], reply[512];
        int blen = snprintf(body, sizeof body, "hello from %s, path %s\n", server_name, path);
        int rlen = snprintf(reply, sizeof reply,
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                            "Content-Length: %d\r\n%s\r\n%s",
                            blen, close_after ? "Connection: close\r\n" : "",
                            strncmp(buf, "HEAD", 4) == 0 ? "" : body);
        if (write_all(fd, reply, (size_t)rlen) < 0 || close_after)
            return;
        memmove(buf, buf + head, have - head); /* pipelined requests */
        have -= head;
    }
}

static void *connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char *buf = malloc(BUF);
    ssize_t n = buf ? read(fd, buf, BUF) : -1;
    if (n > 0) {
        if (n >= 4 && (memcmp(buf, "GET ", 4) == 0 || memcmp(buf, "HEAD", 4) == 0))
            http(fd, buf, (size_t)n);
        else
            echo(fd, buf, (size_t)n);
    }
    free(buf);
    close(fd);
    return NULL;
}

void demo_raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int demo_listen(const char *prog, int port)
{
    int ls = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1, zero = 0;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port),
                             .sin6_addr = in6addr_any};
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 4096) != 0) {
        fprintf(stderr, "%s: cannot listen on port %d: %s\n", prog, port, strerror(errno));
        exit(1);
    }
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    printf("listening on %d\n", ntohs(a.sin6_port));
    fflush(stdout);
    return ls;
}

void demo_serve(int ls, const char *name)
{
    server_name = name;
    int one = 1;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                usleep(10000);
            continue;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        if (pthread_create(&t, &attr, connection, (void *)(intptr_t)fd) != 0)
            close(fd);
    }
}
