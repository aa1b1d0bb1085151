/* What the server's whole process tree uses, read from /proc: kernel
 * threads (every task, io_uring's workers included; in all and in its
 * largest process), resident memory, CPU seconds (user, system) and
 * context switches. */
#ifndef MN_AB_PROCSTAT_H
#define MN_AB_PROCSTAT_H

#include <stdbool.h>
#include <sys/types.h>

struct ab_proc {
    int processes;
    int threads;             /* summed over the processes */
    int proc_threads_max;    /* the most of any one process (a prefork worker's) */
    long rss_kb;
    double user_s, sys_s;
    long vcsw, ivcsw;        /* only with switches = true (reads every task) */
};

void ab_proc_sample(pid_t root, struct ab_proc *out, bool switches);

#endif
