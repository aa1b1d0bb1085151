/* The user's own commands (--load, --ready): a shell command line run
 * through /bin/sh -c, natively (never under the preload, on either side:
 * it is the client, not the server under test), with {host}, {port} and
 * {duration} in it replaced by the server's address, its port and -d, and
 * MNRT_AB_HOST / MNRT_AB_PORT in its environment. Its stdout and stderr go
 * into the child's bounded output buffer (child.h). */
#ifndef MN_AB_LOAD_H
#define MN_AB_LOAD_H

#include "child.h"

#include <stddef.h>

/* cmd with {host}, {port} and {duration} replaced (malloc'd). */
char *ab_shell_expand(const char *cmd, const char *host, int port, double duration);
/* Starts it; 0, or -1 with a message in why. */
int ab_shell_start(struct ab_child *c, const char *cmd, const char *host, int port,
                   double duration, char *why, size_t whylen);

#endif
