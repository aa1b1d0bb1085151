/* Locating the files that belong to this very mnrt binary, so that `mnrt
 * run` never preloads a stale copy from elsewhere: libmnrt.so (after
 * $MNRT_LIBRARY) and the demo server of `mnrt ab --demo`. Each is looked
 * for, in order:
 *   - in the build tree, next to the tool (<build>/tools/mnrt ->
 *     <build>/libmnrt.so, <build>/tools/demo/demo_server);
 *   - where `meson install` put it, relative to the tool's own directory
 *     (bindir -> libdir/mnrt, bindir -> libexecdir/mnrt, as configured), so that
 *     an install under DESTDIR, an unpacked .deb or a moved prefix works;
 *   - at the absolute path configured at build time (prefix/libdir/mnrt), for a
 *     tool copied away from its prefix.
 * The configured paths come from tools/meson.build (MNRT_*_FROM_BINDIR,
 * empty when bindir or the target dir is outside the prefix, and
 * MNRT_*_INSTALLED). */
#include "launcher.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first usable (access(mode)) of `paths`, each relative to the tool's
 * directory unless absolute (empty ones are skipped), resolved into out
 * (PATH_MAX bytes). NULL when none is; *exe_dir names the tool's directory
 * for the caller's message ("" when /proc/self/exe cannot be read). */
static char *locate(const char *const *paths, size_t n, int mode, char *out,
                    char exe_dir[PATH_MAX])
{
    ssize_t len = readlink("/proc/self/exe", exe_dir, PATH_MAX - 1);
    exe_dir[len > 0 ? len : 0] = 0;
    char *slash = strrchr(exe_dir, '/');
    if (slash)
        *slash = 0;
    for (size_t i = 0; i < n; i++) {
        char cand[2 * PATH_MAX];
        if (!paths[i][0] || (paths[i][0] != '/' && !exe_dir[0]))
            continue;
        if (paths[i][0] == '/')
            snprintf(cand, sizeof cand, "%s", paths[i]);
        else
            snprintf(cand, sizeof cand, "%s/%s", exe_dir, paths[i]);
        if (access(cand, mode) == 0 && realpath(cand, out))
            return out;
    }
    return NULL;
}

const char *mn_tool_find_library(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("MNRT_LIBRARY");
    if (env && *env) {
        if (access(env, R_OK) != 0) {
            fprintf(stderr, "mnrt: MNRT_LIBRARY=%s is not readable\n", env);
            return NULL;
        }
        if (!realpath(env, found)) {
            fprintf(stderr, "mnrt: cannot resolve MNRT_LIBRARY=%s\n", env);
            return NULL;
        }
        return found;
    }
    static const char *const paths[] = {"../libmnrt.so", MNRT_LIBRARY_FROM_BINDIR,
                                        MNRT_LIBRARY_INSTALLED};
    char exe_dir[PATH_MAX];
    if (locate(paths, sizeof paths / sizeof paths[0], R_OK, found, exe_dir))
        return found;
    fprintf(stderr, "mnrt: cannot find libmnrt.so (looked next to %s and in %s); "
                    "set MNRT_LIBRARY\n", exe_dir, MNRT_LIBRARY_INSTALLED);
    return NULL;
}

char *mn_tool_find_demo_server(void)
{
    static char found[PATH_MAX];
    static const char *const paths[] = {"demo/demo_server", MNRT_DEMO_FROM_BINDIR,
                                        MNRT_DEMO_INSTALLED};
    char exe_dir[PATH_MAX];
    return locate(paths, sizeof paths / sizeof paths[0], X_OK, found, exe_dir);
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
