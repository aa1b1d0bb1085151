/* What the server's whole process tree uses, read from /proc: kernel
 * threads (every task, io_uring's workers included; in all and in its
 * largest process), resident memory, CPU seconds (user, system),
 * context switches, and the CPUs a process may run on. */
#ifndef MN_AB_PROCSTAT_H
#define MN_AB_PROCSTAT_H

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

/* One task's context switches so far. */
struct ab_task {
    pid_t tid;
    long vcsw, ivcsw;
};

struct ab_proc {
    int processes;
    int threads;             /* summed over the processes */
    int proc_threads_max;    /* the most of any one process (a prefork worker's) */
    long rss_kb;
    double user_s, sys_s;    /* of each process, its ended threads included */
    struct ab_task *tasks;   /* only with switches = true (reads every task; malloc'd) */
    int ntasks;
};

void ab_proc_sample(pid_t root, struct ab_proc *out, bool switches);
/* The context switches made between two samples (with switches): by each
 * task in `after`, less what it had made at `before` when it existed then.
 * A task that ended between them is not counted (the kernel keeps no
 * per-process total of them): an undercount, never a negative. Frees both
 * samples' tasks. */
void ab_proc_switches(struct ab_proc *before, struct ab_proc *after, long *vcsw, long *ivcsw);
/* The CPUs pid may run on (its Cpus_allowed_list); false when unread. */
bool ab_proc_cpus(pid_t pid, cpu_set_t *out);

#endif
