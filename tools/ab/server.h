/* The server under test: started in a process group of its own (so that
 * its whole tree can be stopped), with LD_PRELOAD holding libmnrt.so only
 * on the mnrt side; stdout discarded, stderr kept (its last lines go into
 * failure reports). Stopped with SIGTERM, then SIGKILL after a grace
 * period. */
#ifndef MN_AB_SERVER_H
#define MN_AB_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

struct ab_server {
    pid_t pid;
    int err_fd;              /* read end of its stderr */
    char err[4096];          /* the last bytes of its stderr */
    size_t err_len;
    bool exited;
    int status;              /* waitpid status once exited */
};

/* Starts argv with the preload (lib) or without it; procs: MNRT_PROCS or
 * NULL. Returns 0, or -1 with a message in why. */
int ab_server_start(struct ab_server *s, char **argv, const char *lib, const char *procs,
                    char *why, size_t whylen);
enum { AB_DIED = -1, AB_NEVER_READY = -2 };

/* Waits until the server accepts on port (port <= 0: finds the port its
 * process tree listens on). Returns the port, or AB_DIED (it exited) or
 * AB_NEVER_READY (not accepting within timeout_s) with a message. */
int ab_server_ready(struct ab_server *s, const char *host, int port, double timeout_s,
                    char *why, size_t whylen);
/* What a server that speaks first (a database's greeting) sends on a new
 * connection before any request, within 1 s: its length in buf, or 0. */
int ab_server_greeting(const char *host, int port, char *buf, size_t len);
/* Notes an exit (without waiting) and drains stderr; true while it runs. */
bool ab_server_alive(struct ab_server *s);
/* "exited with status 1", "was killed by signal 9 (Killed)" */
void ab_server_describe(const struct ab_server *s, char *buf, size_t len);
/* Its last stderr lines, for reports. */
const char *ab_server_stderr(struct ab_server *s);
void ab_server_stop(struct ab_server *s);

/* The pids of the process tree rooted at pid (n at most max). */
int ab_process_tree(pid_t pid, pid_t *out, int max);

#endif
