/* The mnrt tool: dispatches to its sub-commands (run, ab, dump, top, version). */
#include "launcher.h"

#include <stdio.h>
#include <string.h>

#ifndef MNRT_VERSION
#define MNRT_VERSION "unknown"
#endif

static void usage(FILE *f)
{
    fprintf(f, "usage: mnrt <command> [options]\n"
               "  run [-p N] [--trace[=MS]] [--trace-out FILE] -- CMD ARGS...\n"
               "                                              run CMD on the M:N scheduler\n"
               "  ab [options] -- SERVER ARGS...              A/B: SERVER natively vs under mnrt\n"
               "  ab --demo                                   A/B of the bundled demo server\n"
               "  dump [--all] PID                            the threads of a running mnrt process\n"
               "  top [-d S] [-n N | --once] PID              live view of a running mnrt process\n"
               "  version                                     print the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return mn_run_main(argc - 1, argv + 1);
    if (strcmp(cmd, "ab") == 0)
        return mn_ab_main(argc - 1, argv + 1);
    if (strcmp(cmd, "dump") == 0)
        return mn_dump_main(argc - 1, argv + 1);
    if (strcmp(cmd, "top") == 0)
        return mn_top_main(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("mnrt %s\n", MNRT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "mnrt: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
