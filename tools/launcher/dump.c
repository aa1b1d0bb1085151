/* `mnrt dump [--all] [--timeout S] PID`: prints a thread dump of a running
 * mnrt process without stopping it: one request through ask.c (the
 * protocol is core/dump.h's); the process's monitor thread writes the
 * dump, which ends with MN_DUMP_END. */
#include "launcher.h"

#include "core/dump.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void dump_usage(FILE *f)
{
    fprintf(f, "usage: mnrt dump [--all] [--timeout S] PID\n"
               "  --all          show mnrt's own frames too\n"
               "  --timeout S    give up after S seconds without an answer (default 10)\n");
}

/* Copies the dump from c to stdout until EOF; whether it was whole. */
static int relay(struct mn_ask *a, int c, long timeout_s)
{
    static const char end[] = MN_DUMP_END;
    char buf[65536], tail[sizeof end] = "";
    size_t tail_len = 0;
    for (;;) {
        int w = mn_ask_wait(a, c, timeout_s * 1000);
        if (w != 1 && w != MN_ASK_GONE) { /* (gone: its end of c is closed) */
            fprintf(stderr, "mnrt dump: the process stopped writing its dump\n");
            return 0;
        }
        /* once the process is gone, what is left (a child it forked may
         * hold the connection open) */
        ssize_t n = recv(c, buf, sizeof buf, w == MN_ASK_GONE ? MSG_DONTWAIT : 0);
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
            if (i + 1 >= argc || mn_tool_parse_long(argv[++i], 1, 3600, &timeout_s) < 0) {
                fprintf(stderr, "mnrt dump: --timeout needs a number of seconds\n");
                return 2;
            }
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            dump_usage(stdout);
            return 0;
        } else if (pid < 0 && mn_tool_parse_long(a, 1, INT32_MAX, &pid) == 0) {
        } else {
            dump_usage(stderr);
            return 2;
        }
    }
    if (pid < 0) {
        dump_usage(stderr);
        return 2;
    }
    struct mn_ask ask;
    if (mn_ask_open(&ask, "mnrt dump", pid))
        return 1;
    int c = mn_ask(&ask, flags, timeout_s * 1000);
    if (c == MN_ASK_GONE)
        fprintf(stderr, "mnrt dump: process %ld exited\n", pid);
    else if (c == MN_ASK_TIMEOUT)
        fprintf(stderr, "mnrt dump: no answer from process %ld within %ld s\n", pid, timeout_s);
    int whole = c >= 0 && relay(&ask, c, timeout_s);
    if (c >= 0)
        close(c);
    mn_ask_close(&ask);
    return whole ? 0 : 1;
}
