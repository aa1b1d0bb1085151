/* `mnrt dump [--all] [--timeout S] PID`: prints a thread dump of a running
 * mnrt process without stopping it (core/dump.h has the protocol): the
 * tool listens on an abstract Unix socket named after its pid and a random
 * cookie, and sends the process signal 32 with sigqueue and a value that
 * carries the cookie; the process's monitor thread connects and writes the
 * dump, which ends with MN_DUMP_END.
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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void dump_usage(FILE *f)
{
    fprintf(f, "usage: mnrt dump [--all] [--timeout S] PID\n"
               "  --all          show mnrt's own frames too\n"
               "  --timeout S    give up after S seconds without an answer (default 10)\n");
}

static int parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
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

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms for fd to be readable: 1, 0 (time is up), -1. */
static int wait_readable(int fd, int64_t ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, ms > INT32_MAX ? INT32_MAX : (int)ms);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Copies the dump from c to stdout until EOF; whether it was whole. */
static int relay(int c, long timeout_s)
{
    static const char end[] = MN_DUMP_END;
    char buf[65536], tail[sizeof end] = "";
    size_t tail_len = 0;
    for (;;) {
        int w = wait_readable(c, timeout_s * 1000);
        if (w <= 0) {
            fprintf(stderr, "mnrt dump: the process stopped writing its dump\n");
            return 0;
        }
        ssize_t n = read(c, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
            return 0;
        /* keep the last bytes, to see the end marker */
        size_t keep = sizeof end - 1;
        if ((size_t)n >= keep) {
            memcpy(tail, buf + n - keep, keep);
            tail_len = keep;
        } else {
            size_t drop = tail_len + (size_t)n > keep ? tail_len + (size_t)n - keep : 0;
            memmove(tail, tail + drop, tail_len - drop);
            memcpy(tail + tail_len - drop, buf, (size_t)n);
            tail_len = tail_len - drop + (size_t)n;
        }
    }
    fflush(stdout);
    if (tail_len != sizeof end - 1 || memcmp(tail, end, tail_len) != 0) {
        fprintf(stderr, "mnrt dump: the dump was cut short\n");
        return 0;
    }
    return 1;
}

int mn_dump_main(int argc, char **argv)
{
    unsigned flags = 0;
    long timeout_s = 10, pid = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--all") == 0) {
            flags |= MN_DUMP_ALL_FRAMES;
        } else if (strcmp(a, "--timeout") == 0) {
            if (i + 1 >= argc || parse_int(argv[++i], 1, 3600, &timeout_s) < 0) {
                fprintf(stderr, "mnrt dump: --timeout needs a number of seconds\n");
                return 2;
            }
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            dump_usage(stdout);
            return 0;
        } else if (pid < 0 && parse_int(a, 1, INT32_MAX, &pid) == 0) {
        } else {
            dump_usage(stderr);
            return 2;
        }
    }
    if (pid < 0) {
        dump_usage(stderr);
        return 2;
    }
    int mapped = maps_libmnrt(pid);
    if (mapped < 0) {
        fprintf(stderr, "mnrt dump: cannot read /proc/%ld/maps: %s\n", pid, strerror(errno));
        return 1;
    }
    if (!mapped) {
        fprintf(stderr, "mnrt dump: process %ld does not run under mnrt (no libmnrt.so)\n", pid);
        return 1;
    }
    if (catches_signal_32(pid) != 1) {
        fprintf(stderr, "mnrt dump: process %ld has libmnrt.so but runs natively (mnrt said "
                        "why on its stderr when it started)\n", pid);
        return 1;
    }

    uint32_t cookie = 0;
    if (getrandom(&cookie, sizeof cookie, 0) != sizeof cookie)
        cookie = (uint32_t)now_ms() ^ (uint32_t)getpid();
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, MN_DUMP_SOCKET, (int)getpid(), cookie);
    if (s < 0 || bind(s, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path) + 1 + n) ||
        listen(s, 4)) {
        fprintf(stderr, "mnrt dump: cannot listen on a Unix socket: %s\n", strerror(errno));
        return 1;
    }

    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = MN_DUMP_SIGNAL;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_ptr =
        (void *)(uintptr_t)(MN_DUMP_MAGIC << 48 | (uint64_t)flags << 32 | cookie);
    if (syscall(SYS_rt_sigqueueinfo, (pid_t)pid, MN_DUMP_SIGNAL, &si) != 0) {
        fprintf(stderr, "mnrt dump: cannot signal process %ld: %s\n", pid, strerror(errno));
        return 1;
    }

    int64_t deadline = now_ms() + timeout_s * 1000;
    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0 || wait_readable(s, left) <= 0) {
            fprintf(stderr, "mnrt dump: no answer from process %ld within %ld s\n", pid,
                    timeout_s);
            return 1;
        }
        int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid != pid) {
            close(c); /* somebody else's */
            continue;
        }
        int whole = relay(c, timeout_s);
        close(c);
        close(s);
        return whole ? 0 : 1;
    }
}
