/* 100,000 threads alive at once (64 KiB stacks), all blocked on a
 * condition variable, then released and joined. Under mnrt only (natively
 * that is 100,000 kernel threads): the process keeps at most procs + 4
 * kernel threads, and the stacks' guard regions must not split mappings
 * (docs/design.md §16: MADV_GUARD_INSTALL, else mprotect's 2 mappings per stack
 * would pass vm.max_map_count, 65530 by default, before 33,000 threads), so
 * /proc/self/maps stays far below vm.max_map_count. This is the scale
 * docs/design.md §17 aims at: a thread per connection for 100,000 connections. */
#include "check.h"

#include <pthread.h>

#define THREADS 100000
#define STACK (64 * 1024)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting, released, go;

static void *worker(void *arg)
{
    pthread_mutex_lock(&mu);
    waiting++;
    while (!go)
        pthread_cond_wait(&cv, &mu);
    released++;
    pthread_mutex_unlock(&mu);
    return arg;
}

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f, "cannot open %s", path);
    long n = 0;
    int c;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static long read_long(const char *path)
{
    FILE *f = fopen(path, "r");
    long v = -1;
    CHECK(f && fscanf(f, "%ld", &v) == 1, "cannot read %s", path);
    fclose(f);
    return v;
}

int main(void)
{
    CHECK(under_mnrt(), "run this with the preload only (run_program.py --mnrt-only)");
    long max_maps = read_long("/proc/sys/vm/max_map_count");
    pthread_attr_t attr;
    CHECK_ERR(pthread_attr_init(&attr), 0);
    CHECK_ERR(pthread_attr_setstacksize(&attr, STACK), 0);
    static pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) {
        int err = pthread_create(&t[i], &attr, worker, (void *)(intptr_t)i);
        CHECK(err == 0, "pthread_create of thread %ld: %s (maps: %ld lines)", i, errname(err),
              count_lines("/proc/self/maps"));
    }
    CHECK_ERR(pthread_attr_destroy(&attr), 0);
    WAIT_UNTIL(locked_read(&mu, &waiting) == THREADS);

    long maps = count_lines("/proc/self/maps");
    int kthreads = kernel_threads(), limit = mnrt_procs() + 4;
    fprintf(stderr, "%d threads blocked: %ld mappings (vm.max_map_count %ld), %d kernel "
            "threads (limit %d), RSS %ld KiB\n", THREADS, maps, max_maps, kthreads, limit,
            rss_kb());
    CHECK(maps < max_maps / 4, "%ld mappings with %d threads (vm.max_map_count %ld)", maps,
          THREADS, max_maps);
    CHECK(kthreads <= limit, "%d kernel threads for %d blocked threads", kthreads, THREADS);

    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    long sum = 0;
    for (long i = 0; i < THREADS; i++) {
        void *r;
        CHECK_ERR(pthread_join(t[i], &r), 0);
        sum += (intptr_t)r;
    }
    CHECK_EQ(released, THREADS);
    CHECK_EQ(sum, (long)THREADS * (THREADS - 1) / 2);
    printf("%d threads alive at once, blocked, released and joined\n", THREADS);
    return 0;
}
