/* Asking a running mnrt process for a report (core/dump.h has the
 * protocol), for `mnrt dump` (a thread dump) and `mnrt top` (the live
 * view's snapshots, core/stats.h): the tool checks that the process runs
 * under mnrt, listens on an abstract Unix socket named after its own pid
 * and a random cookie, and sends the process signal 32 with sigqueue and
 * a value that carries the cookie and the request's flags; the process's
 * monitor thread connects and writes the report. One socket serves every
 * request of a session; a connection is taken only from the process
 * (SO_PEERCRED). The process is held by a pidfd: a pid reused after it
 * exited is never signalled, and its exit ends a wait at once.
 *
 * Signal 32 is glibc's SIGCANCEL, whose default action kills: it is sent
 * only to a process that has libmnrt.so mapped and catches signal 32 (mnrt
 * does from boot on; glibc's own action ignores a signal of another
 * process). */
#include "launcher.h"

#include "core/dump.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int mn_tool_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int64_t mn_tool_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether /proc/PID/maps names libmnrt.so: -1 if it cannot be read. */
static int maps_libmnrt(long pid)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%ld/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, "/libmnrt.so") != NULL;
    fclose(f);
    return found;
}

/* Whether the process catches signal 32 (SigCgt in /proc/PID/status). */
static int catches_signal_32(long pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int r = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long mask;
        if (sscanf(line, "SigCgt: %llx", &mask) == 1) {
            r = (mask >> (MN_DUMP_SIGNAL - 1)) & 1;
            break;
        }
    }
    fclose(f);
    return r;
}

int mn_ask_open(struct mn_ask *a, const char *cmd, long pid)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->pid = pid;
    a->sock = a->pidfd = -1;
    a->pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0); /* no wrapper before glibc 2.36 */
    if (a->pidfd < 0) {
        if (errno == ESRCH)
            fprintf(stderr, "%s: no process %ld\n", cmd, pid);
        else
            fprintf(stderr, "%s: cannot open process %ld: %s\n", cmd, pid, strerror(errno));
        return 1;
    }
    int mapped = maps_libmnrt(pid);
    if (mapped < 0) {
        fprintf(stderr, "%s: cannot read /proc/%ld/maps: %s\n", cmd, pid, strerror(errno));
        mn_ask_close(a);
        return 1;
    }
    if (!mapped) {
        fprintf(stderr, "%s: process %ld does not run under mnrt (no libmnrt.so)\n", cmd, pid);
        mn_ask_close(a);
        return 1;
    }
    if (catches_signal_32(pid) != 1) {
        fprintf(stderr, "%s: process %ld has libmnrt.so but runs natively (mnrt said "
                        "why on its stderr when it started)\n", cmd, pid);
        mn_ask_close(a);
        return 1;
    }
    if (getrandom(&a->cookie, sizeof a->cookie, 0) != sizeof a->cookie)
        a->cookie = (uint32_t)mn_tool_now_ms() ^ (uint32_t)getpid();
    a->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    int n = snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, MN_DUMP_SOCKET, (int)getpid(),
                     a->cookie);
    if (a->sock < 0 ||
        bind(a->sock, (struct sockaddr *)&addr, offsetof(struct sockaddr_un, sun_path) + 1 + n) ||
        listen(a->sock, 4)) {
        fprintf(stderr, "%s: cannot listen on a Unix socket: %s\n", cmd, strerror(errno));
        mn_ask_close(a);
        return 1;
    }
    return 0;
}

void mn_ask_close(struct mn_ask *a)
{
    if (a->sock >= 0)
        close(a->sock);
    if (a->pidfd >= 0)
        close(a->pidfd);
    a->sock = a->pidfd = -1;
}

int mn_ask_wait(struct mn_ask *a, int fd, int64_t ms)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = a->pidfd, .events = POLLIN}};
    int64_t deadline = mn_tool_now_ms() + ms;
    for (;;) {
        int64_t left = deadline - mn_tool_now_ms();
        int r = poll(p, 2, left < 0 ? 0 : left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno != EINTR)
            return -1;
        if (r > 0 && p[0].revents)
            return 1;
        if (r > 0 && p[1].revents)
            return MN_ASK_GONE;
        if (r == 0 && left <= 0)
            return 0;
    }
}

int mn_ask(struct mn_ask *a, unsigned flags, int64_t timeout_ms)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = MN_DUMP_SIGNAL;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_ptr =
        (void *)(uintptr_t)(MN_DUMP_MAGIC << 48 | (uint64_t)flags << 32 | a->cookie);
    if (syscall(SYS_pidfd_send_signal, a->pidfd, MN_DUMP_SIGNAL, &si, 0) != 0) {
        if (errno == ESRCH)
            return MN_ASK_GONE;
        fprintf(stderr, "%s: cannot signal process %ld: %s\n", a->cmd, a->pid, strerror(errno));
        return MN_ASK_FAILED;
    }
    int64_t deadline = mn_tool_now_ms() + timeout_ms;
    for (;;) {
        int w = mn_ask_wait(a, a->sock, deadline - mn_tool_now_ms());
        if (w == MN_ASK_GONE)
            return w;
        if (w <= 0)
            return MN_ASK_TIMEOUT;
        int c = accept4(a->sock, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid != a->pid) {
            close(c); /* somebody else's */
            continue;
        }
        return c;
    }
}
