/* Helpers of the integration test programs: checks that print what went
 * wrong and exit 1, and what a test may need to know about the process.
 * Every program prints only results that must be identical natively and
 * under mnrt on stdout; diagnostics go to stderr. */
#ifndef MNRT_TEST_CHECK_H
#define MNRT_TEST_CHECK_H

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,    \
                    #cond);                                                     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fprintf(stderr, "\n");                                              \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

#define CHECK_EQ(a, b) CHECK((a) == (b), "%lld != %lld", (long long)(a), (long long)(b))

/* Whether libmnrt.so is preloaded. */
static inline int under_mnrt(void)
{
    return dlsym(RTLD_DEFAULT, "mnrt_version") != NULL;
}

/* The number of Ps under mnrt (mnrt.h's mnrt_get_stats), 0 natively. */
static inline int mnrt_procs(void)
{
    struct {
        size_t size;
        int procs;
    } st = {sizeof st, 0};
    int (*get)(void *) = (int (*)(void *))dlsym(RTLD_DEFAULT, "mnrt_get_stats");
    if (!get || get(&st) != 0)
        return 0;
    return st.procs;
}

/* Kernel threads of this process, from /proc/self/task. */
static inline int kernel_threads(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

/* VmRSS in KiB. */
static inline long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

#endif
