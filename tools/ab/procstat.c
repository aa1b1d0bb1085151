/* /proc sampling of a process tree: see procstat.h. */
#include "procstat.h"

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

static void add_switches(pid_t pid, struct ab_proc *out)
{
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
        const char *v = strstr(buf, "voluntary_ctxt_switches:");
        const char *nv = strstr(buf, "nonvoluntary_ctxt_switches:");
        if (v && v > buf && v[-1] == '\n')
            out->vcsw += strtol(v + 24, NULL, 10);
        if (nv)
            out->ivcsw += strtol(nv + 27, NULL, 10);
    }
    if (d)
        closedir(d);
}

void ab_proc_sample(pid_t root, struct ab_proc *out, bool switches)
{
    memset(out, 0, sizeof *out);
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
            add_switches(pids[i], out);
    }
}
