/* The cgroup CPU limit: see cgroup.h. Hybrid hierarchies (v1 cpu
 * controller and v2 both mounted) use v1, where the limit is enforced. */
#include "core/cgroup.h"

#include "compat/raw_syscall.h"
#include "core/lowfd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PATH_LEN 4096

static const char *or_default(const char *path, const char *dflt)
{
    return path && *path ? path : dflt;
}


/* Whether path names something that exists. */
static bool exists(const char *path)
{
    return mn_raw_syscall(SYS_faccessat, AT_FDCWD, path, F_OK) == 0;
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

/* The process's cgroup path, from one read of /proc/self/cgroup: the v1
 * cpu controller's if it has one (*v1 true), else the v2 one. */
static bool cgroup_path(const struct mn_cgroup_roots *r, bool *v1, char *out, size_t len)
{
    char buf[4096];
    if (!mn_lowfd_read(or_default(r->proc_self_cgroup, "/proc/self/cgroup"), buf, sizeof buf))
        return false;
    const char *v1_path = NULL, *v2_path = NULL;
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = 0;
        if (!v1_path && has_word(c1 + 1, "cpu"))
            v1_path = c2 + 1;
        else if (!v2_path && strcmp(line, "0") == 0 && c1[1] == 0)
            v2_path = c2 + 1;
    }
    *v1 = v1_path != NULL;
    const char *path = v1_path ? v1_path : v2_path;
    if (!path || strlen(path) >= len)
        return false;
    strcpy(out, path);
    return true;
}

/* The hierarchy where systems and container runtimes mount it with its
 * root at the mount point (v1's cpu controller at /sys/fs/cgroup/cpu or
 * cpu,cpuacct, v2 at /sys/fs/cgroup), if the process's cgroup directory
 * is there: then mountinfo, whose read is most of this file's cost at a
 * program's start, is not needed. A container that mounts a sub-tree
 * (the mount root is not "/") has no such directory, or not this one:
 * mount_of finds its mount. The directory is told by a file every cgroup
 * directory of the hierarchy has. */
static bool conventional_mount(const struct mn_cgroup_roots *r, bool v1, const char *cg,
                               char *point, size_t len)
{
    static const char *const v1_points[] = {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"};
    static const char *const v2_points[] = {"/sys/fs/cgroup"};
    const char *const *points = v1 ? v1_points : v2_points;
    int npoints = v1 ? 2 : 1;
    const char *marker = v1 ? "cpu.cfs_quota_us" : "cgroup.controllers";
    const char *prefix = r->fs_prefix ? r->fs_prefix : "";
    for (int i = 0; i < npoints; i++) {
        char path[2 * PATH_LEN + 64];
        int n = snprintf(path, sizeof path, "%s%s%s/%s", prefix, points[i],
                         strcmp(cg, "/") == 0 ? "" : cg, marker);
        if (n > 0 && (size_t)n < sizeof path && strlen(points[i]) < len && exists(path)) {
            strcpy(point, points[i]);
            return true;
        }
    }
    return false;
}

struct mount_search {
    bool v1;
    char *point, *root;
    size_t len;
};

/* One line of mountinfo: whether it is the hierarchy's mount (then its
 * point and root are stored). */
static bool mount_line(char *line, void *arg)
{
    struct mount_search *s = arg;
    /* id parent major:minor root mountpoint options [optional...] - fstype source super */
    char *dash = strstr(line, " - ");
    if (!dash)
        return false;
    *dash = 0;
    char *save = NULL, *fields[5];
    int n = 0;
    for (char *p = line, *tok; n < 5 && (tok = strtok_r(p, " ", &save)); p = NULL)
        fields[n++] = tok;
    char *fstype = strtok_r(dash + 3, " ", &save);
    char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
    char *super = source ? strtok_r(NULL, " ", &save) : NULL;
    if (n < 5 || !fstype)
        return false;
    bool match = s->v1 ? strcmp(fstype, "cgroup") == 0 && super && has_word(super, "cpu")
                       : strcmp(fstype, "cgroup2") == 0;
    if (!match || strlen(fields[3]) >= s->len || strlen(fields[4]) >= s->len)
        return false;
    strcpy(s->root, fields[3]);
    strcpy(s->point, fields[4]);
    unescape(s->root);
    unescape(s->point);
    return true;
}

/* The mount point and mount root of the hierarchy (v1: the one with the
 * cpu controller; v2: cgroup2). Read without stdio: sysmon calls this
 * every second, and may neither take the program's malloc nor leave a
 * file at a number the program may close (core/lowfd.h). */
static bool mount_of(const struct mn_cgroup_roots *r, bool v1, char *point, char *root,
                     size_t len)
{
    struct mount_search s = {v1, point, root, len};
    return mn_lowfd_each_line(or_default(r->proc_self_mountinfo, "/proc/self/mountinfo"),
                              mount_line, &s);
}

/* Parses the limit files of one directory: > 0 millicpus, 0 none, -1 bad. */
static long dir_limit(const char *dir, bool v1)
{
    char path[3 * PATH_LEN + 32], buf[128];
    if (v1) {
        snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
        if (!mn_lowfd_read(path, buf, sizeof buf))
            return 0;
        char *end;
        long long quota = strtoll(buf, &end, 10);
        if (end == buf || (*end && *end != '\n'))
            return -1;
        if (quota < 0)
            return 0;
        snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
        if (!mn_lowfd_read(path, buf, sizeof buf))
            return 0;
        long long period = strtoll(buf, &end, 10);
        if (end == buf || (*end && *end != '\n') || period <= 0)
            return -1;
        return (long)((quota * 1000 + period - 1) / period);
    }
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (!mn_lowfd_read(path, buf, sizeof buf))
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

long mn_cgroup_cpu_limit_millis(const struct mn_cgroup_roots *r)
{
    char cg[PATH_LEN], point[PATH_LEN], root[PATH_LEN] = "/";
    bool v1;
    if (!cgroup_path(r, &v1, cg, sizeof cg))
        return 0;
    if (!conventional_mount(r, v1, cg, point, sizeof point) &&
        !mount_of(r, v1, point, root, sizeof root))
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

int mn_cgroup_procs_from_millis(long millis)
{
    if (millis <= 0)
        return 1;
    long procs = (millis + 999) / 1000;
    return procs > INT_MAX ? INT_MAX : (int)procs;
}
