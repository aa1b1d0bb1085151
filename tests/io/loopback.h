/* What the socket tests share: a listening TCP socket on 127.0.0.1 with a
 * port the kernel picks. */
#ifndef MNRT_TEST_LOOPBACK_H
#define MNRT_TEST_LOOPBACK_H

#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* A listener on 127.0.0.1; *a gets its address. */
static inline int listener(struct sockaddr_in *a)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(ls >= 0, "socket: %s", strerror(errno));
    *a = (struct sockaddr_in){.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
    CHECK_EQ(bind(ls, (struct sockaddr *)a, sizeof *a), 0);
    CHECK_EQ(listen(ls, 16), 0);
    socklen_t l = sizeof *a;
    getsockname(ls, (struct sockaddr *)a, &l);
    return ls;
}

#endif
