/* What both demo servers share: the listening socket, and the thread-per-
 * connection accept loop with its protocols. A connection speaks HTTP/1.1
 * if its first bytes are "GET " or "HEAD", else echo (every byte read is
 * written back). HTTP replies are keep-alive, 200 with a small body naming
 * the server and the path, or "Connection: close" if the client asked. */
#ifndef MN_DEMO_SERVE_H
#define MN_DEMO_SERVE_H

/* Raises the open-file limit to its hard limit (a connection is a file). */
void demo_raise_fd_limit(void);

/* A socket listening on port (IPv6 and IPv4, any address; 0: a free
 * port), announced on stdout as "listening on PORT"; exits on failure. */
int demo_listen(const char *prog, int port);

/* Accepts on ls for ever, one detached pthread per connection (blocking
 * reads and writes); name goes into the HTTP replies. */
void demo_serve(int ls, const char *name) __attribute__((noreturn));

#endif
