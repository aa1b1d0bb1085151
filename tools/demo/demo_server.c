/* The demo server of `mnrt ab --demo`: a classic thread-per-connection
 * server, the kind mnrt exists for. One pthread per connection, blocking
 * read and write, nothing clever (serve.c). Each connection speaks HTTP/1.1
 * if its first bytes are "GET " or "HEAD", else echo (every byte read is
 * written back). HTTP replies are keep-alive, 200 with a small body naming
 * the path, or "Connection: close" if the client asked for it.
 *
 * usage: demo_server [PORT]   (default 8080; 0 picks a free port, printed
 * on stdout as "listening on PORT") */
#include "serve.h"

#include <signal.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 8080;
    signal(SIGPIPE, SIG_IGN);
    demo_raise_fd_limit();
    demo_serve(demo_listen("demo_server", port), "demo_server");
}
