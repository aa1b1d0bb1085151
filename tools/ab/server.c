/* The server under test: see server.h. */
#include "server.h"

#include "launcher.h"
#include "loadgen.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* LD_PRELOAD without any libmnrt entry (the native side must not get it
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

int ab_server_start(struct ab_server *s, char **argv, const char *lib, const char *procs,
                    char *why, size_t whylen)
{
    memset(s, 0, sizeof *s);
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(why, whylen, "pipe: %s", strerror(errno));
        return -1;
    }
    s->pid = fork();
    if (s->pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        return -1;
    }
    if (s->pid == 0) {
        setpgid(0, 0);
        strip_mnrt();
        if (lib) {
            char *v = mn_tool_preload_value(lib, getenv("LD_PRELOAD"));
            if (v)
                setenv("LD_PRELOAD", v, 1);
        }
        if (procs)
            setenv("MNRT_PROCS", procs, 1);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(p[1], 2);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(s->pid, s->pid);
    close(p[1]);
    s->err_fd = p[0];
    fcntl(s->err_fd, F_SETFL, O_NONBLOCK);
    return 0;
}

static void drain(struct ab_server *s)
{
    char buf[4096];
    ssize_t n;
    while (s->err_fd >= 0 && (n = read(s->err_fd, buf, sizeof buf)) > 0) {
        size_t k = (size_t)n;
        if (k >= sizeof s->err) {
            memcpy(s->err, buf + k - (sizeof s->err - 1), sizeof s->err - 1);
            s->err_len = sizeof s->err - 1;
            continue;
        }
        if (s->err_len + k >= sizeof s->err) {
            size_t drop = s->err_len + k - (sizeof s->err - 1);
            memmove(s->err, s->err + drop, s->err_len - drop);
            s->err_len -= drop;
        }
        memcpy(s->err + s->err_len, buf, k);
        s->err_len += k;
    }
    s->err[s->err_len] = 0;
}

bool ab_server_alive(struct ab_server *s)
{
    drain(s);
    if (!s->exited && waitpid(s->pid, &s->status, WNOHANG) == s->pid)
        s->exited = true;
    return !s->exited;
}

void ab_server_describe(const struct ab_server *s, char *buf, size_t len)
{
    if (!s->exited)
        snprintf(buf, len, "is running");
    else if (WIFEXITED(s->status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(s->status));
    else if (WIFSIGNALED(s->status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(s->status),
                 strsignal(WTERMSIG(s->status)));
    else
        snprintf(buf, len, "stopped");
}

const char *ab_server_stderr(struct ab_server *s)
{
    drain(s);
    /* the last few lines only */
    const char *p = s->err + s->err_len;
    int lines = 0;
    while (p > s->err && lines <= 5)
        if (*--p == '\n' && p + 1 < s->err + s->err_len)
            lines++;
    return lines > 5 ? p + 1 : s->err;
}

void ab_server_stop(struct ab_server *s)
{
    if (!ab_server_alive(s))
        goto out;
    kill(-s->pid, SIGTERM);
    for (int i = 0; i < 50 && ab_server_alive(s); i++)
        usleep(40000);
    if (ab_server_alive(s)) {
        kill(-s->pid, SIGKILL);
        waitpid(s->pid, &s->status, 0);
        s->exited = true;
    }
out:
    kill(-s->pid, SIGKILL); /* whatever it left behind */
    if (s->err_fd >= 0)
        close(s->err_fd);
    s->err_fd = -1;
}

int ab_process_tree(pid_t root, pid_t *out, int max)
{
    int n = 0;
    out[n++] = root;
    /* a few passes pick up grandchildren in any /proc order */
    for (int pass = 0; pass < 4; pass++) {
        DIR *d = opendir("/proc");
        struct dirent *e;
        while (d && (e = readdir(d)) && n < max) {
            pid_t pid = (pid_t)atoi(e->d_name);
            if (pid <= 0)
                continue;
            bool known = false;
            for (int i = 0; i < n && !known; i++)
                known = out[i] == pid;
            if (known)
                continue;
            char path[64], buf[512];
            snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
            FILE *f = fopen(path, "r");
            if (!f)
                continue;
            size_t len = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[len] = 0;
            const char *paren = strrchr(buf, ')');
            int ppid = 0;
            if (paren && sscanf(paren + 2, "%*c %d", &ppid) == 1)
                for (int i = 0; i < n; i++)
                    if (out[i] == ppid) {
                        out[n++] = pid;
                        break;
                    }
        }
        if (d)
            closedir(d);
    }
    return n;
}

/* Listening TCP ports whose socket inode belongs to one of pids. */
static int discover_port(pid_t root)
{
    pid_t pids[256];
    int np = ab_process_tree(root, pids, 256);
    static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    for (int t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            char local[128];
            unsigned st;
            unsigned long inode;
            if (sscanf(line, " %*d: %127s %*s %x %*s %*s %*s %*d %*d %lu", local, &st, &inode) != 3 ||
                st != 0x0A)
                continue;
            const char *colon = strrchr(local, ':');
            int port = colon ? (int)strtol(colon + 1, NULL, 16) : 0;
            char want[64];
            snprintf(want, sizeof want, "socket:[%lu]", inode);
            for (int i = 0; i < np; i++) {
                char dir[64];
                snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pids[i]);
                DIR *d = opendir(dir);
                struct dirent *e;
                while (d && (e = readdir(d))) {
                    char link[320], target[64];
                    snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
                    ssize_t n = readlink(link, target, sizeof target - 1);
                    if (n > 0) {
                        target[n] = 0;
                        if (strcmp(target, want) == 0) {
                            closedir(d);
                            fclose(f);
                            return port;
                        }
                    }
                }
                if (d)
                    closedir(d);
            }
        }
        if (f)
            fclose(f);
    }
    return -1;
}

/* A connected socket to host:port, or -1. */
static int dial(const char *host, int port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    if (getaddrinfo(host, p, &hints, &res) != 0)
        return -1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static bool accepts(const char *host, int port)
{
    int fd = dial(host, port);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

int ab_server_greeting(const char *host, int port, char *buf, size_t len)
{
    int fd = dial(host, port);
    if (fd < 0)
        return 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n = poll(&p, 1, 1000) == 1 ? recv(fd, buf, len, MSG_DONTWAIT) : 0;
    close(fd);
    return n > 0 ? (int)n : 0;
}

int ab_server_ready(struct ab_server *s, const char *host, int port, double timeout_s,
                    char *why, size_t whylen)
{
    uint64_t deadline = ab_now_ns() + (uint64_t)(timeout_s * 1e9);
    while (ab_now_ns() < deadline) {
        if (!ab_server_alive(s)) {
            char d[128];
            ab_server_describe(s, d, sizeof d);
            snprintf(why, whylen, "the server %s before it accepted connections", d);
            return AB_DIED;
        }
        int p = port > 0 ? port : discover_port(s->pid);
        if (p > 0 && accepts(host, p))
            return p;
        usleep(50000);
    }
    snprintf(why, whylen,
             "the server did not accept connections on %s within %g s (does it listen on "
             "TCP? --port names its port, --start-timeout gives it longer)",
             port > 0 ? "its port" : "any port", timeout_s);
    return AB_NEVER_READY;
}
