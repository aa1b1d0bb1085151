/* The mnrt command-line tool: shared declarations of its sub-commands.
 * The tool never runs under the preload itself; it only starts programs
 * that do (run), compares them with their native run (ab) or asks one
 * that runs for a thread dump (dump) or for its live view (top). */
#ifndef MNRT_LAUNCHER_H
#define MNRT_LAUNCHER_H

#include <stdint.h>

/* Absolute path of libmnrt.so that belongs to this mnrt binary, or NULL
 * (with a message on stderr) when it cannot be found. MNRT_LIBRARY overrides.
 * Where it is looked for: find_library.c. */
const char *mn_tool_find_library(void);

/* Absolute path of the demo server built or installed with this binary
 * (`mnrt ab --demo`), or NULL. */
char *mn_tool_find_demo_server(void);

/* Returns a freshly allocated LD_PRELOAD value with lib in front of old
 * (old may be NULL or empty). */
char *mn_tool_preload_value(const char *lib, const char *old);

/* A whole decimal number from min to max: 0, or -1. */
int mn_tool_parse_long(const char *s, long min, long max, long *out);
/* CLOCK_MONOTONIC in ms. */
int64_t mn_tool_now_ms(void);

/* Asking a running mnrt process for reports (ask.c). */
struct mn_ask {
    const char *cmd;         /* "mnrt dump", for messages */
    long pid;
    int pidfd;               /* readable once the process has exited */
    int sock;                /* listening for the process's connections */
    uint32_t cookie;
};
enum { MN_ASK_GONE = -2, MN_ASK_TIMEOUT = -3, MN_ASK_FAILED = -4 };
/* Checks that pid runs under mnrt and listens for it: 0, or 1 after a
 * message on stderr. */
int mn_ask_open(struct mn_ask *a, const char *cmd, long pid);
void mn_ask_close(struct mn_ask *a);
/* One request (flags of core/dump.h): the process's connection, which
 * holds the report, or MN_ASK_GONE (the process has exited),
 * MN_ASK_TIMEOUT (no answer within timeout_ms), MN_ASK_FAILED (said on
 * stderr). */
int mn_ask(struct mn_ask *a, unsigned flags, int64_t timeout_ms);
/* Waits up to ms for fd (-1: none) to be readable: 1, 0 when the time is
 * up, MN_ASK_GONE when the process exits first, -1. */
int mn_ask_wait(struct mn_ask *a, int fd, int64_t ms);

int mn_run_main(int argc, char **argv);
int mn_ab_main(int argc, char **argv);
int mn_dump_main(int argc, char **argv);
int mn_top_main(int argc, char **argv);

#endif
