/* The mnrt command-line tool: shared declarations of its sub-commands.
 * The tool never runs under the preload itself; it only starts programs
 * that do (run), compares them with their native run (ab) or asks one
 * that runs for a thread dump (dump). */
#ifndef MNRT_LAUNCHER_H
#define MNRT_LAUNCHER_H

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

int mn_run_main(int argc, char **argv);
int mn_ab_main(int argc, char **argv);
int mn_dump_main(int argc, char **argv);

#endif
