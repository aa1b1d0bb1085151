/* The CPU limit of the process's cgroup (docs/design.md §14), to size the number
 * of Ps like Go sizes GOMAXPROCS: cgroup v2 `cpu.max`, or v1
 * `cpu.cfs_quota_us`/`cpu.cfs_period_us`, found through /proc/self/cgroup
 * and the conventional mount point (or, where the cgroup's directory is
 * not there, /proc/self/mountinfo), the minimum over the cgroup and its
 * ancestors.
 * The roots let tests point the parser at fixture trees; in production all
 * three are "" (the real /proc and /). Stateless; any thread may call it. */
#ifndef MN_CORE_CGROUP_H
#define MN_CORE_CGROUP_H

struct mn_cgroup_roots {
    const char *proc_self_cgroup;    /* /proc/self/cgroup ("" for the real one) */
    const char *proc_self_mountinfo; /* /proc/self/mountinfo ("" for the real one) */
    const char *fs_prefix;           /* prepended to mount points ("" in production) */
};

/* The limit in millicpus (quota * 1000 / period, rounded up), 0 when there
 * is none ("max", -1, no cpu controller, files missing), or -1 with errno
 * EINVAL when a limit file exists but is malformed. */
long mn_cgroup_cpu_limit_millis(const struct mn_cgroup_roots *roots);

/* Millicpus to a number of Ps: rounded up, at least 1. */
int mn_cgroup_procs_from_millis(long millis);

#endif
