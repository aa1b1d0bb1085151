/* The user's own commands: see load.h. */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *ab_shell_expand(const char *cmd, const char *host, int port, double duration)
{
    char sport[16], sdur[32];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(sdur, sizeof sdur, "%g", duration);
    const char *const keys[] = {"{host}", "{port}", "{duration}"}, *const vals[] = {host, sport, sdur};
    size_t cap = strlen(cmd) + 1;
    for (const char *p = cmd; (p = strchr(p, '{')); p++)
        cap += strlen(host) + sizeof sdur; /* at most this much per key */
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    for (const char *p = cmd; *p;) {
        size_t k = 0;
        while (k < 3 && strncmp(p, keys[k], strlen(keys[k])) != 0)
            k++;
        if (k == 3) {
            *o++ = *p++;
            continue;
        }
        o = stpcpy(o, vals[k]);
        p += strlen(keys[k]);
    }
    *o = 0;
    return out;
}

int ab_shell_start(struct ab_child *c, const char *cmd, const char *host, int port,
                   double duration, char *why, size_t whylen)
{
    char *line = ab_shell_expand(cmd, host, port, duration);
    char ehost[300], eport[32];
    snprintf(ehost, sizeof ehost, "MNRT_AB_HOST=%s", host);
    snprintf(eport, sizeof eport, "MNRT_AB_PORT=%d", port);
    const char *const env[] = {ehost, eport, NULL};
    char *argv[] = {"/bin/sh", "-c", line, NULL};
    struct ab_spawn how = {.argv = argv, .keep_stdout = true, .env = env};
    int rc = line ? ab_child_start(c, &how, why, whylen) : -1;
    if (!line)
        snprintf(why, whylen, "out of memory");
    free(line);
    return rc;
}
