/* The server under test: see server.h. */
#include "server.h"

#include "load.h"
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

/* Whether the --ready command, run into *attempt, exits 0 (within the
 * time left); *finished: it ended by itself, not stopped at the deadline. */
static bool ready_cmd_ok(const char *cmd, const char *host, int port, uint64_t deadline,
                         struct ab_child *attempt, bool *finished)
{
    char why[256];
    *finished = false;
    if (ab_shell_start(attempt, cmd, host, port, 0, why, sizeof why) != 0)
        return false;
    while (ab_child_alive(attempt) && ab_now_ns() < deadline)
        usleep(20000);
    *finished = !ab_child_alive(attempt);
    ab_child_stop(attempt);
    return !ab_child_failed(attempt);
}

int ab_server_ready(struct ab_child *s, const char *host, int port, const char *ready_cmd,
                    double timeout_s, char *why, size_t whylen)
{
    uint64_t deadline = ab_now_ns() + (uint64_t)(timeout_s * 1e9);
    /* the last --ready attempt that ended by itself (else the one the
     * deadline cut short), for the message */
    static struct ab_child attempt, check;
    bool tried = false;
    while (ab_now_ns() < deadline) {
        if (!ab_child_alive(s)) {
            char d[128];
            ab_child_describe(s, d, sizeof d);
            snprintf(why, whylen, "the server %s before it %s", d,
                     ready_cmd ? "was ready (--ready)" : "accepted connections");
            return AB_DIED;
        }
        int p = port > 0 ? port : discover_port(s->pid);
        if (p > 0 && !ready_cmd && accepts(host, p))
            return p;
        if (p > 0 && ready_cmd) {
            bool finished;
            if (ready_cmd_ok(ready_cmd, host, p, deadline, &attempt, &finished))
                return p;
            if (finished || !tried)
                check = attempt;
            tried = true;
        }
        usleep(50000);
    }
    if (ready_cmd && tried) {
        char d[128];
        ab_child_describe(&check, d, sizeof d);
        snprintf(why, whylen,
                 "the --ready command did not succeed within %g s (--start-timeout); its last "
                 "attempt %s, saying:\n%s", timeout_s, d,
                 *check.out ? ab_child_last_lines(&check, 5) : "(nothing)\n");
    } else {
        snprintf(why, whylen,
                 "the server did not accept connections on %s within %g s (does it listen on "
                 "TCP? --port names its port, --start-timeout gives it longer)",
                 port > 0 ? "its port" : "any port", timeout_s);
    }
    return AB_NEVER_READY;
}
