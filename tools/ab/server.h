/* The server under test, once started (child.h): when it is ready, which
 * port it listens on, what it says first, and its process tree. */
#ifndef MN_AB_SERVER_H
#define MN_AB_SERVER_H

#include "child.h"

#include <stdbool.h>
#include <sys/types.h>

enum { AB_DIED = -1, AB_NEVER_READY = -2 };

/* Waits until the server is ready: it accepts on port (port <= 0: finds
 * the port its process tree listens on), or, with ready_cmd (--ready),
 * that command exits 0 (run natively once the port is known, again every
 * 50 ms until it does). Returns the port, or AB_DIED (it exited) or
 * AB_NEVER_READY (not ready within timeout_s) with a message. */
int ab_server_ready(struct ab_child *s, const char *host, int port, const char *ready_cmd,
                    double timeout_s, char *why, size_t whylen);
/* What a server that speaks first (a database's greeting) sends on a new
 * connection before any request, within 1 s: its length in buf, or 0. */
int ab_server_greeting(const char *host, int port, char *buf, size_t len);

/* The pids of the process tree rooted at pid (n at most max). */
int ab_process_tree(pid_t pid, pid_t *out, int max);

#endif
