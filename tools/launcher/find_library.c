/* Locating libmnrt.so for the launcher: the library that was built or
 * installed with this very binary, so that `mnrt run` never preloads a
 * stale copy from elsewhere. Order: $MNRT_LIBRARY, then paths relative to
 * /proc/self/exe (build tree: <build>/tools/mnrt -> <build>/libmnrt.so;
 * install: <prefix>/bin/mnrt -> <prefix>/<libdir>/libmnrt.so). */
#include "launcher.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MNRT_LIBDIR
#define MNRT_LIBDIR "lib"
#endif

static int usable(const char *path)
{
    return access(path, R_OK) == 0;
}

const char *mn_tool_find_library(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("MNRT_LIBRARY");
    if (env && *env) {
        if (!usable(env)) {
            fprintf(stderr, "mnrt: MNRT_LIBRARY=%s is not readable\n", env);
            return NULL;
        }
        if (!realpath(env, found)) {
            fprintf(stderr, "mnrt: cannot resolve MNRT_LIBRARY=%s\n", env);
            return NULL;
        }
        return found;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        perror("mnrt: readlink /proc/self/exe");
        return NULL;
    }
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    static const char *const rel[] = {
        "/../libmnrt.so",                 /* build tree */
        "/libmnrt.so",
        "/../" MNRT_LIBDIR "/libmnrt.so", /* installed */
        "/../lib/libmnrt.so",
    };
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char cand[PATH_MAX];
        if (snprintf(cand, sizeof cand, "%s%s", exe, rel[i]) >= (int)sizeof cand)
            continue; /* too long a path to be one */
        if (usable(cand) && realpath(cand, found))
            return found;
    }
    fprintf(stderr, "mnrt: cannot find libmnrt.so next to %s; set MNRT_LIBRARY\n", exe);
    return NULL;
}

char *mn_tool_preload_value(const char *lib, const char *old)
{
    size_t len = strlen(lib) + (old ? strlen(old) : 0) + 2;
    char *v = malloc(len);
    if (!v)
        return NULL;
    if (old && *old)
        snprintf(v, len, "%s:%s", lib, old);
    else
        snprintf(v, len, "%s", lib);
    return v;
}
