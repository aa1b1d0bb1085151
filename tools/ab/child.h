/* A child process of `mnrt ab`: the server under test, the user's load
 * command (--load) or readiness check (--ready). Each runs in a process
 * group of its own (so that its whole tree can be stopped), with LD_PRELOAD
 * holding libmnrt.so only when asked (the server's mnrt side; never a load
 * or ready command, even when mnrt ab itself was started under the preload)
 * and on the CPUs asked for (the server's, --server-cpus; a command
 * inherits ab's own, --load-cpus).
 * Its output (stderr, or stdout and stderr) goes to an unlinked temporary
 * file (never a pipe: a full pipe would make a server that logs wait for
 * ab), read from there into a bounded buffer that keeps the last bytes:
 * the last lines go into failure reports, a load command's into
 * report.json. Stopped with SIGTERM, then SIGKILL after 2 s. */
#ifndef MN_AB_CHILD_H
#define MN_AB_CHILD_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AB_OUTPUT_MAX 32768

struct ab_child {
    pid_t pid;
    int out_fd;                  /* its output file, open for reading */
    char out[AB_OUTPUT_MAX];     /* the last bytes of its output */
    size_t out_len;
    unsigned long long out_total; /* bytes it wrote in all */
    bool exited;
    int status;                  /* waitpid status once exited */
};

struct ab_spawn {
    char **argv;
    const char *lib;             /* preload libmnrt.so (the server's mnrt side) */
    const char *procs;           /* MNRT_PROCS, or NULL */
    const cpu_set_t *cpus;       /* the CPUs it may run on, or NULL: ab's */
    bool keep_stdout;            /* stdout into the buffer too (else /dev/null) */
    const char *const *env;      /* NAME=VALUE pairs to set, NULL-terminated, or NULL */
};

/* Returns 0, or -1 with a message in why. */
int ab_child_start(struct ab_child *c, const struct ab_spawn *how, char *why, size_t whylen);
/* Notes an exit (without waiting) and drains its output; true while it runs. */
bool ab_child_alive(struct ab_child *c);
/* "exited with status 1", "was killed by signal 9 (Killed)" */
void ab_child_describe(const struct ab_child *c, char *buf, size_t len);
/* True once it has exited with a status other than 0 or was killed. */
bool ab_child_failed(const struct ab_child *c);
/* Its last n lines of output (all of them when fewer). */
const char *ab_child_last_lines(struct ab_child *c, int n);
/* Stops its process group (if still running) and reaps it. */
void ab_child_stop(struct ab_child *c);

#endif
