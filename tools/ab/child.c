/* Child processes of mnrt ab: see child.h. */
#include "child.h"

#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* LD_PRELOAD without any libmnrt entry (a native child must not get it
 * from the caller's environment either). */
static void strip_mnrt(void)
{
    const char *old = getenv("LD_PRELOAD");
    if (!old)
        return;
    char *copy = strdup(old), *out = calloc(1, strlen(old) + 1);
    if (!copy || !out)
        return;
    for (char *save = NULL, *tok = strtok_r(copy, ": ", &save); tok;
         tok = strtok_r(NULL, ": ", &save)) {
        if (strstr(tok, "libmnrt"))
            continue;
        if (*out)
            strcat(out, ":");
        strcat(out, tok);
    }
    if (*out)
        setenv("LD_PRELOAD", out, 1);
    else
        unsetenv("LD_PRELOAD");
    free(copy);
    free(out);
}

/* In the child, before exec (its affinity last: a failure is told in its output). */
static void prepare(const struct ab_spawn *how, int out)
{
    setpgid(0, 0);
    strip_mnrt();
    if (how->lib) {
        char *v = mn_tool_preload_value(how->lib, getenv("LD_PRELOAD"));
        if (v)
            setenv("LD_PRELOAD", v, 1);
    }
    if (how->procs)
        setenv("MNRT_PROCS", how->procs, 1);
    for (const char *const *e = how->env; e && *e; e++)
        putenv((char *)*e);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(how->keep_stdout ? out : null, 1);
    dup2(out, 2);
    if (how->cpus && sched_setaffinity(0, sizeof *how->cpus, how->cpus) != 0) {
        fprintf(stderr, "cannot run on the CPUs asked for: %s\n", strerror(errno));
        _exit(127);
    }
}

/* An unlinked temporary file, open twice: *wr for the child (appending),
 * *rd for reading it from the start with an offset of its own. A file,
 * not a pipe: a pipe that ab does not read for a while (opening thousands
 * of connections) fills, and a server that logs each connection (an
 * access log, MariaDB's "Aborted connection" warnings) then blocks. */
static int output_file(int *rd, int *wr, char *why, size_t whylen)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/mnrt-ab-output-XXXXXX", dir && *dir ? dir : "/tmp");
    *wr = mkostemp(path, O_CLOEXEC | O_APPEND);
    if (*wr < 0) {
        snprintf(why, whylen, "cannot create a file for the output (%s): %s", path, strerror(errno));
        return -1;
    }
    *rd = open(path, O_RDONLY | O_CLOEXEC);
    unlink(path);
    if (*rd < 0) {
        snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
        close(*wr);
        return -1;
    }
    return 0;
}

int ab_child_start(struct ab_child *c, const struct ab_spawn *how, char *why, size_t whylen)
{
    memset(c, 0, sizeof *c);
    c->out_fd = -1;
    int rd, wr;
    if (output_file(&rd, &wr, why, whylen) != 0)
        return -1;
    c->pid = fork();
    if (c->pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        close(rd);
        close(wr);
        return -1;
    }
    if (c->pid == 0) {
        prepare(how, wr);
        execvp(how->argv[0], how->argv);
        fprintf(stderr, "cannot execute %s: %s\n", how->argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(c->pid, c->pid);
    close(wr);
    c->out_fd = rd;
    return 0;
}

/* Appends what was written since the last call, keeping the last
 * AB_OUTPUT_MAX - 1 bytes (at the file's end read returns 0: never waits). */
static void drain(struct ab_child *c)
{
    char buf[4096];
    ssize_t n;
    const size_t keep = sizeof c->out - 1;
    while (c->out_fd >= 0 && (n = read(c->out_fd, buf, sizeof buf)) > 0) {
        size_t k = (size_t)n;
        c->out_total += k;
        if (c->out_len + k > keep) {
            size_t drop = c->out_len + k - keep;
            memmove(c->out, c->out + drop, c->out_len - drop);
            c->out_len -= drop;
        }
        memcpy(c->out + c->out_len, buf, k);
        c->out_len += k;
    }
    c->out[c->out_len] = 0;
}

bool ab_child_alive(struct ab_child *c)
{
    drain(c);
    if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
        c->exited = true;
    return !c->exited;
}

void ab_child_describe(const struct ab_child *c, char *buf, size_t len)
{
    if (!c->exited)
        snprintf(buf, len, "is running");
    else if (WIFEXITED(c->status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(c->status));
    else if (WIFSIGNALED(c->status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(c->status),
                 strsignal(WTERMSIG(c->status)));
    else
        snprintf(buf, len, "stopped");
}

bool ab_child_failed(const struct ab_child *c)
{
    return c->exited && !(WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0);
}

const char *ab_child_last_lines(struct ab_child *c, int n)
{
    drain(c);
    const char *p = c->out + c->out_len;
    int lines = 0;
    while (p > c->out && lines <= n)
        if (*--p == '\n' && p + 1 < c->out + c->out_len)
            lines++;
    return lines > n ? p + 1 : c->out;
}

void ab_child_stop(struct ab_child *c)
{
    if (!ab_child_alive(c))
        goto out;
    kill(-c->pid, SIGTERM);
    for (int i = 0; i < 50 && ab_child_alive(c); i++)
        usleep(40000);
    if (ab_child_alive(c)) {
        kill(-c->pid, SIGKILL);
        waitpid(c->pid, &c->status, 0);
        c->exited = true;
    }
out:
    kill(-c->pid, SIGKILL); /* whatever it left behind */
    drain(c);
    if (c->out_fd >= 0)
        close(c->out_fd);
    c->out_fd = -1;
}
