/* The cgroup CPU limit: see cgroup.h. Hybrid hierarchies (v1 cpu
 * controller and v2 both mounted) use v1, where the limit is enforced. */
#include "core/cgroup.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN 4096

static const char *or_default(const char *path, const char *dflt)
{
    return path && *path ? path : dflt;
}

/* Reads a small file into buf; returns false if it cannot be read. */
static bool read_small(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = 0;
    return true;
}

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
    char *out = s;
    for (char *in = s; *in; in++) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
            in[3] >= '0' && in[3] <= '7') {
            *out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
            in += 3;
        } else {
            *out++ = *in;
        }
    }
    *out = 0;
}

static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* The process's cgroup path: for v1 (v1 == true) of the cpu controller,
 * else the v2 one. */
static bool cgroup_path(const struct mn_cgroup_roots *r, bool v1, char *out, size_t len)
{
    FILE *f = fopen(or_default(r->proc_self_cgroup, "/proc/self/cgroup"), "re");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = 0;
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = 0;
        bool match = v1 ? has_word(c1 + 1, "cpu") : (strcmp(line, "0") == 0 && c1[1] == 0);
        if (match && strlen(c2 + 1) < len) {
            strcpy(out, c2 + 1);
            found = true;
        }
    }
    free(line);
    fclose(f);
    return found;
}

/* The mount point and mount root of the hierarchy (v1: the one with the
 * cpu controller; v2: cgroup2). */
static bool mount_of(const struct mn_cgroup_roots *r, bool v1, char *point, char *root,
                     size_t len)
{
    FILE *f = fopen(or_default(r->proc_self_mountinfo, "/proc/self/mountinfo"), "re");
    if (!f)
        return false;
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = 0;
        /* id parent major:minor root mountpoint options [optional...] - fstype source super */
        char *dash = strstr(line, " - ");
        if (!dash)
            continue;
        *dash = 0;
        char *save = NULL, *fields[5];
        int n = 0;
        for (char *p = line, *tok; n < 5 && (tok = strtok_r(p, " ", &save)); p = NULL)
            fields[n++] = tok;
        char *fstype = strtok_r(dash + 3, " ", &save);
        char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
        char *super = source ? strtok_r(NULL, " ", &save) : NULL;
        if (n < 5 || !fstype)
            continue;
        bool match = v1 ? strcmp(fstype, "cgroup") == 0 && super && has_word(super, "cpu")
                        : strcmp(fstype, "cgroup2") == 0;
        if (match && strlen(fields[3]) < len && strlen(fields[4]) < len) {
            strcpy(root, fields[3]);
            strcpy(point, fields[4]);
            unescape(root);
            unescape(point);
            found = true;
        }
    }
    free(line);
    fclose(f);
    return found;
}

/* Parses the limit files of one directory: > 0 millicpus, 0 none, -1 bad. */
static long dir_limit(const char *dir, bool v1)
{
    char path[3 * PATH_LEN + 32], buf[128];
    if (v1) {
        snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
        if (!read_small(path, buf, sizeof buf))
            return 0;
        char *end;
        long long quota = strtoll(buf, &end, 10);
        if (end == buf || (*end && *end != '\n'))
            return -1;
        if (quota < 0)
            return 0;
        snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
        if (!read_small(path, buf, sizeof buf))
            return 0;
        long long period = strtoll(buf, &end, 10);
        if (end == buf || (*end && *end != '\n') || period <= 0)
            return -1;
        return (long)((quota * 1000 + period - 1) / period);
    }
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (!read_small(path, buf, sizeof buf))
        return 0;
    char quota[32];
    long long period;
    char extra;
    int n = sscanf(buf, "%31s %lld %c", quota, &period, &extra);
    if (n != 2 || period <= 0)
        return -1;
    if (strcmp(quota, "max") == 0)
        return 0;
    char *end;
    long long q = strtoll(quota, &end, 10);
    if (*end || q <= 0)
        return -1;
    return (long)((q * 1000 + period - 1) / period);
}

static long hierarchy_limit(const struct mn_cgroup_roots *r, bool v1)
{
    char cg[PATH_LEN], point[PATH_LEN], root[PATH_LEN];
    if (!cgroup_path(r, v1, cg, sizeof cg) || !mount_of(r, v1, point, root, sizeof root))
        return 0;
    /* A container mounts a sub-tree: make the path relative to its root. */
    const char *rel = cg;
    size_t rl = strlen(root);
    if (strcmp(root, "/") != 0 && strncmp(cg, root, rl) == 0 && (cg[rl] == '/' || !cg[rl]))
        rel = cg + rl;
    char dir[3 * PATH_LEN];
    int n = snprintf(dir, sizeof dir, "%s%s%s", r->fs_prefix ? r->fs_prefix : "", point,
                     strcmp(rel, "/") == 0 ? "" : rel);
    if (n < 0 || (size_t)n >= sizeof dir)
        return 0;
    size_t base = strlen(r->fs_prefix ? r->fs_prefix : "") + strlen(point);
    long best = 0;
    for (;;) {
        long l = dir_limit(dir, v1);
        if (l < 0) {
            errno = EINVAL;
            return -1;
        }
        if (l > 0 && (best == 0 || l < best))
            best = l;
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < base)
            break;
        *slash = 0;
    }
    return best;
}

long mn_cgroup_cpu_limit_millis(const struct mn_cgroup_roots *roots)
{
    char cg[PATH_LEN];
    bool v1 = cgroup_path(roots, true, cg, sizeof cg);
    return hierarchy_limit(roots, v1);
}

int mn_cgroup_procs_from_millis(long millis)
{
    if (millis <= 0)
        return 1;
    long procs = (millis + 999) / 1000;
    return procs > INT_MAX ? INT_MAX : (int)procs;
}
