/* `mnrt run [-p N] [--trace[=MS]] [--trace-out FILE] -- CMD ARGS...`: exec
 * CMD with libmnrt.so in front of LD_PRELOAD. -p sets MNRT_PROCS; --trace
 * turns on the scheduler trace (MNRT_DEBUG=schedtrace=MS, default 1000);
 * --trace-out records the execution trace into FILE (MNRT_TRACE, core/
 * exectrace_file.h). Replaces this process, so CMD's exit status is the
 * tool's. */
#include "launcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void run_usage(FILE *f)
{
    fprintf(f, "usage: mnrt run [-p N] [--trace[=MS]] [--trace-out FILE] [--] CMD [ARGS...]\n"
               "  -p N             number of processors (MNRT_PROCS)\n"
               "  --trace[=MS]     print scheduler state every MS ms (default 1000)\n"
               "  --trace-out FILE record an execution trace, written to FILE when CMD\n"
               "                   exits: Chrome trace-event JSON for ui.perfetto.dev or\n"
               "                   chrome://tracing (MNRT_TRACE; its children: FILE.PID)\n");
}

static int parse_positive(const char *s, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > max)
        return -1;
    *out = v;
    return 0;
}

int mn_run_main(int argc, char **argv)
{
    int i = 1;
    const char *procs = NULL;
    const char *trace = NULL;
    const char *trace_out = NULL;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-p") == 0 || strcmp(a, "--procs") == 0) {
            long v;
            if (i + 1 >= argc || parse_positive(argv[i + 1], 1024, &v) < 0) {
                fprintf(stderr, "mnrt run: -p needs a number of processors from 1 to 1024\n");
                return 2;
            }
            procs = argv[++i];
        } else if (strcmp(a, "--trace") == 0) {
            trace = "1000";
        } else if (strncmp(a, "--trace=", 8) == 0) {
            long v;
            if (parse_positive(a + 8, 3600000, &v) < 0) {
                fprintf(stderr, "mnrt run: --trace=MS needs a period in milliseconds\n");
                return 2;
            }
            trace = a + 8;
        } else if (strcmp(a, "--trace-out") == 0 || strncmp(a, "--trace-out=", 12) == 0) {
            trace_out = a[11] == '=' ? a + 12 : i + 1 < argc ? argv[++i] : "";
            if (!*trace_out) {
                fprintf(stderr, "mnrt run: --trace-out needs a file name\n");
                return 2;
            }
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            run_usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            fprintf(stderr, "mnrt run: unknown option %s\n", a);
            run_usage(stderr);
            return 2;
        } else {
            break;
        }
    }
    if (i >= argc) {
        run_usage(stderr);
        return 2;
    }
    const char *lib = mn_tool_find_library();
    if (!lib)
        return 127;
    char *preload = mn_tool_preload_value(lib, getenv("LD_PRELOAD"));
    if (!preload || setenv("LD_PRELOAD", preload, 1) < 0) {
        perror("mnrt run: setenv");
        return 127;
    }
    if (procs && setenv("MNRT_PROCS", procs, 1) < 0) {
        perror("mnrt run: setenv");
        return 127;
    }
    if (trace) {
        char buf[64];
        snprintf(buf, sizeof buf, "schedtrace=%s", trace);
        if (setenv("MNRT_DEBUG", buf, 1) < 0) {
            perror("mnrt run: setenv");
            return 127;
        }
    }
    if (trace_out && setenv("MNRT_TRACE", trace_out, 1) < 0) {
        perror("mnrt run: setenv");
        return 127;
    }
    execvp(argv[i], &argv[i]);
    fprintf(stderr, "mnrt run: cannot execute %s: %s\n", argv[i], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
