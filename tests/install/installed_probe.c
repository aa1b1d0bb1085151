/* The program installed_run.py runs with an installed mnrt, compiled
 * against the installed <mnrt.h> (found through the installed mnrt.pc):
 * argv[1] threads wait together on a condition variable while the main
 * thread counts the process's kernel threads, then all finish. Prints
 * the path of the libmnrt.so mapped into the process, the kernel threads
 * seen while every thread waited, and mnrt_get_stats' counts of threads
 * created and parked (mnrt.h, looked up with dlsym as a program that also
 * runs natively does). Natively: no library, and one kernel thread per
 * thread. */
#include <mnrt.h>

#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int waiting, released;

static void *waiter(void *arg)
{
    pthread_mutex_lock(&lock);
    waiting++;
    pthread_cond_broadcast(&changed);
    while (!released)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

static int kernel_threads(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static void print_library(void)
{
    char line[4096];
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (path && strstr(path, "/libmnrt.so\n")) {
            printf("library %s", path);
            break;
        }
    }
    if (maps)
        fclose(maps);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 64;
    pthread_t *t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; i++)
        if (!t || pthread_create(&t[i], NULL, waiter, NULL) != 0)
            return 1;
    pthread_mutex_lock(&lock);
    while (waiting < n)
        pthread_cond_wait(&changed, &lock);
    int tasks = kernel_threads();
    released = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);

    print_library();
    printf("threads %d kernel_threads %d\n", n, tasks);
    struct mnrt_stats st = {.size = sizeof st};
    int (*get)(struct mnrt_stats *) =
        (int (*)(struct mnrt_stats *))dlsym(RTLD_DEFAULT, "mnrt_get_stats");
    if (get && get(&st) == 0)
        printf("mnrt threads_created %lld parks %lld\n", (long long)st.threads_created,
               (long long)st.parks);
    free(t);
    return 0;
}
