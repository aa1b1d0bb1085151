/* 1,000,000 thread create/join cycles with at most 8 threads alive at a
 * time must not grow the process: RSS after the last cycle may exceed RSS
 * after a warm-up of 100,000 cycles by at most 1% plus 256 KiB (slack for
 * allocator bookkeeping and page-granular noise, far below the ~2 KiB per
 * thread a leak of the known kind costs: 1 M cycles would add ~1.8 GiB).
 * Each thread uses what glibc keeps per thread and mnrt must release or
 * reuse at G exit (docs/glibc-facts.md §4): malloc's per-thread cache
 * with chunks in it, the strerror buffer of an unknown error number, a
 * pending dlerror result, a key value with a destructor, __thread data.
 * Servers that spawn a thread per request run this loop forever.
 * (Natively glibc needs ~20-30 us per cycle: the native run takes ~20 s.) */
#include "check.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#define CYCLES 1000000
#define WARMUP 100000
#define LIVE 8
#define SLACK_KB 256

static __thread char scratch[256];
static pthread_key_t key;

static void free_value(void *v)
{
    free(v);
}

static void *worker(void *arg)
{
    long i = (long)(intptr_t)arg;
    /* chunks that end up in this thread's tcache */
    void *p[6];
    for (int k = 0; k < 6; k++)
        p[k] = malloc((size_t)(16 << k) + (size_t)(i % 7));
    for (int k = 0; k < 6; k++)
        free(p[k]);
    p[0] = malloc(100); /* a kept chunk: freed by the key destructor */
    CHECK_EQ(pthread_setspecific(key, p[0]), 0);
    /* strerror of an unknown number fills a per-thread buffer */
    const char *msg = strerror(1000 + (int)(i % 50));
    CHECK(strncmp(msg, "Unknown error", 13) == 0, "strerror: %s", msg);
    /* a failed dlsym leaves a dlerror result behind */
    if (i % 2 == 0)
        CHECK(dlsym(RTLD_DEFAULT, "mnrt_no_such_symbol") == NULL, "dlsym");
    snprintf(scratch, sizeof scratch, "thread %ld", i);
    return (void *)(intptr_t)strlen(scratch);
}

int main(void)
{
    CHECK_EQ(pthread_key_create(&key, free_value), 0);
    pthread_t slot[LIVE];
    long rss_warm = 0, checked = 0;
    for (long i = 0; i < CYCLES; i++) {
        int s = (int)(i % LIVE);
        if (i >= LIVE) {
            void *r;
            CHECK_EQ(pthread_join(slot[s], &r), 0);
            checked += (intptr_t)r > 0;
        }
        if (i == WARMUP)
            rss_warm = rss_kb();
        CHECK_EQ(pthread_create(&slot[s], NULL, worker, (void *)(intptr_t)i), 0);
    }
    for (int s = 0; s < LIVE; s++) {
        void *r;
        CHECK_EQ(pthread_join(slot[s], &r), 0);
        checked += (intptr_t)r > 0;
    }
    long rss_end = rss_kb();
    long limit = rss_warm / 100 + SLACK_KB;
    fprintf(stderr, "%ld cycles: RSS %ld KiB after %d, %ld KiB at the end (growth %ld, "
            "limit %ld)\n", (long)CYCLES, rss_warm, WARMUP, rss_end, rss_end - rss_warm, limit);
    CHECK_EQ(checked, CYCLES);
    CHECK(rss_warm > 0 && rss_end > 0, "cannot read VmRSS");
    CHECK(rss_end - rss_warm <= limit, "RSS grew by %ld KiB over %ld cycles (limit %ld KiB)",
          rss_end - rss_warm, (long)(CYCLES - WARMUP), limit);
    printf("create/join cycles with %d alive at a time: RSS after the warm-up grew by less "
           "than 1%% + %d KiB\n", LIVE, SLACK_KB);
    return 0;
}
