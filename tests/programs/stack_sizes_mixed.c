/* Threads of six stack sizes, made at once from four threads, all alive
 * together: their stacks (pthread_getattr_np) must not overlap, and each
 * thread's own data on its stack must survive the others'. Under mnrt
 * the threads' mappings of the first few lengths come from reserves
 * mapped 16 at a time and shared by compare-and-swap (core/stack.c),
 * others one by one: this makes more than two batches of each of those
 * lengths, and lengths beyond them. Natively the same. */
#include "check.h"

#include <stdint.h>
#include <stdlib.h>

#define MAKERS 4
#define EACH 48
#define N (MAKERS * EACH)
#define FILL (24 * 1024)

static const size_t sizes[] = {64 << 10, 128 << 10, 256 << 10, 1 << 20, 0, 2 << 20};
#define KINDS (sizeof sizes / sizeof sizes[0])

static pthread_barrier_t alive, checked;
static pthread_t threads[N];
static struct span {
    uintptr_t lo, hi;
} spans[N];
static int intact[N];

static void *worker(void *arg)
{
    long id = (long)arg;
    volatile unsigned char mine[FILL];
    for (size_t i = 0; i < FILL; i++)
        mine[i] = (unsigned char)(id * 31 + i);
    pthread_attr_t a;
    CHECK_ERR(pthread_getattr_np(pthread_self(), &a), 0);
    void *addr;
    size_t size;
    CHECK_ERR(pthread_attr_getstack(&a, &addr, &size), 0);
    pthread_attr_destroy(&a);
    spans[id] = (struct span){(uintptr_t)addr, (uintptr_t)addr + size};
    pthread_barrier_wait(&alive);
    int ok = 1;
    for (size_t i = 0; i < FILL; i++)
        ok &= mine[i] == (unsigned char)(id * 31 + i);
    intact[id] = ok;
    pthread_barrier_wait(&checked);
    return NULL;
}

static void *maker(void *arg)
{
    long m = (long)arg;
    for (long k = 0; k < EACH; k++) {
        long id = m * EACH + k;
        pthread_attr_t a;
        CHECK_ERR(pthread_attr_init(&a), 0);
        size_t s = sizes[(size_t)id % KINDS];
        if (s)
            CHECK_ERR(pthread_attr_setstacksize(&a, s), 0);
        CHECK_ERR(pthread_create(&threads[id], &a, worker, (void *)id), 0);
        pthread_attr_destroy(&a);
    }
    return NULL;
}

static int by_lo(const void *x, const void *y)
{
    const struct span *a = x, *b = y;
    return a->lo < b->lo ? -1 : a->lo > b->lo;
}

int main(void)
{
    CHECK_ERR(pthread_barrier_init(&alive, NULL, N + 1), 0);
    CHECK_ERR(pthread_barrier_init(&checked, NULL, N + 1), 0);
    pthread_t makers[MAKERS];
    for (long m = 0; m < MAKERS; m++)
        CHECK_ERR(pthread_create(&makers[m], NULL, maker, (void *)m), 0);
    for (int m = 0; m < MAKERS; m++)
        CHECK_ERR(pthread_join(makers[m], NULL), 0);
    pthread_barrier_wait(&alive);
    pthread_barrier_wait(&checked);
    for (int i = 0; i < N; i++)
        CHECK_ERR(pthread_join(threads[i], NULL), 0);
    int good = 0;
    for (int i = 0; i < N; i++)
        good += intact[i];
    qsort(spans, N, sizeof spans[0], by_lo);
    int overlaps = 0;
    for (int i = 1; i < N; i++)
        overlaps += spans[i].lo < spans[i - 1].hi;
    printf("%d threads of %zu stack sizes: %d overlapping stacks, %d kept their data\n", N,
           KINDS, overlaps, good);
    return 0;
}
