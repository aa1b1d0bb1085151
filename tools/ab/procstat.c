/* /proc sampling of a process tree: see procstat.h. */
#include "procstat.h"

#include "cpus.h"
#include "server.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool read_file(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = 0;
    return true;
}

static void add_switches(pid_t pid, struct ab_proc *out, int *capacity)
{
    int cap = *capacity;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[600], buf[4096];
        snprintf(path, sizeof path, "%s/%s/status", dir, e->d_name);
        if (!read_file(path, buf, sizeof buf))
            continue;
        const char *v = strstr(buf, "\nvoluntary_ctxt_switches:");
        const char *nv = strstr(buf, "nonvoluntary_ctxt_switches:");
        if (!v || !nv)
            continue;
        if (out->ntasks == cap) {
            cap = cap ? 2 * cap : 256;
            struct ab_task *t = realloc(out->tasks, (size_t)cap * sizeof *t);
            if (!t)
                break;
            out->tasks = t;
        }
        out->tasks[out->ntasks++] = (struct ab_task){(pid_t)atoi(e->d_name),
                                                     strtol(v + 25, NULL, 10),
                                                     strtol(nv + 27, NULL, 10)};
    }
    if (d)
        closedir(d);
    *capacity = cap;
}

void ab_proc_sample(pid_t root, struct ab_proc *out, bool switches)
{
    memset(out, 0, sizeof *out);
    int cap = 0;
    pid_t pids[256];
    int n = ab_process_tree(root, pids, 256);
    long tick = sysconf(_SC_CLK_TCK), page_kb = sysconf(_SC_PAGESIZE) / 1024;
    for (int i = 0; i < n; i++) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pids[i]);
        if (!read_file(path, buf, sizeof buf))
            continue;
        const char *p = strrchr(buf, ')');
        unsigned long ut, st;
        long threads, rss;
        /* after the comm: state ppid pgrp session tty tpgid flags minflt
         * cminflt majflt cmajflt utime stime cutime cstime priority nice
         * num_threads itrealvalue starttime vsize rss */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d "
                                "%*d %*d %ld %*d %*u %*u %ld",
                         &ut, &st, &threads, &rss) != 4)
            continue;
        out->processes++;
        out->threads += (int)threads;
        if (threads > out->proc_threads_max)
            out->proc_threads_max = (int)threads;
        out->rss_kb += rss * page_kb;
        out->user_s += (double)ut / (double)tick;
        out->sys_s += (double)st / (double)tick;
        if (switches)
            add_switches(pids[i], out, &cap);
    }
}

static int by_tid(const void *a, const void *b)
{
    pid_t x = ((const struct ab_task *)a)->tid, y = ((const struct ab_task *)b)->tid;
    return x < y ? -1 : x > y;
}

void ab_proc_switches(struct ab_proc *before, struct ab_proc *after, long *vcsw, long *ivcsw)
{
    *vcsw = *ivcsw = 0;
    if (before->tasks)
        qsort(before->tasks, (size_t)before->ntasks, sizeof before->tasks[0], by_tid);
    for (int i = 0; i < after->ntasks; i++) {
        const struct ab_task *a = &after->tasks[i];
        const struct ab_task *b = before->tasks ? bsearch(a, before->tasks, (size_t)before->ntasks,
                                                          sizeof *a, by_tid) : NULL;
        /* a tid seen again with fewer switches is another task that got it */
        bool same = b && b->vcsw <= a->vcsw && b->ivcsw <= a->ivcsw;
        *vcsw += a->vcsw - (same ? b->vcsw : 0);
        *ivcsw += a->ivcsw - (same ? b->ivcsw : 0);
    }
    free(before->tasks);
    free(after->tasks);
    before->tasks = after->tasks = NULL;
}

bool ab_proc_cpus(pid_t pid, cpu_set_t *out)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    const char *key = "\nCpus_allowed_list:\t";
    char *v = read_file(path, buf, sizeof buf) ? strstr(buf, key) : NULL;
    if (!v)
        return false;
    v += strlen(key);
    v[strcspn(v, "\n")] = 0;
    return ab_cpus_parse(v, out) == 0;
}
