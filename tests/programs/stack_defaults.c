/* Which stack size a new thread gets: the size set on its attribute
 * (pthread_attr_setstacksize) wins; else the size of the last
 * pthread_setattr_default_np that set one (one without a size keeps it);
 * else the default: glibc's (from RLIMIT_STACK), or under mnrt MNRT_STACK
 * when set. The same holds for a NULL attribute, for an attribute with no
 * size set (one with only a guard size, too) and for thrd_create. Each
 * thread reports its own stack size (pthread_getattr_np); the program
 * prints which rule that size is, so the native run (where MNRT_STACK
 * does nothing) and an mnrt run with MNRT_STACK print the same. All the
 * threads stay alive until the end: glibc would hand a smaller request a
 * larger cached stack of a finished thread. */
#include "check.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <threads.h>

#define EXPLICIT (640 * 1024)
#define DEFAULT_NP (1536 * 1024)
#define MAX_THREADS 16

static pthread_barrier_t all_made;
static size_t seen[MAX_THREADS];
static pthread_t threads[MAX_THREADS];
static char names[MAX_THREADS][96];
static int nthreads;
static size_t default_size; /* MNRT_STACK under mnrt if set, else glibc's */

static void report(int slot)
{
    pthread_attr_t a;
    CHECK_ERR(pthread_getattr_np(pthread_self(), &a), 0);
    CHECK_ERR(pthread_attr_getstacksize(&a, &seen[slot]), 0);
    CHECK_ERR(pthread_attr_destroy(&a), 0);
    pthread_barrier_wait(&all_made);
}

static void *thread_main(void *arg)
{
    report((int)(intptr_t)arg);
    return NULL;
}

static int thrd_main(void *arg)
{
    report((int)(intptr_t)arg);
    return 0;
}

static void make(const char *when, const char *what, const pthread_attr_t *attr, bool c11)
{
    CHECK(nthreads < MAX_THREADS, "too many threads");
    snprintf(names[nthreads], sizeof names[nthreads], "%s%s", when, what);
    void *slot = (void *)(intptr_t)nthreads;
    if (c11) {
        thrd_t t;
        CHECK_EQ(thrd_create(&t, thrd_main, slot), thrd_success);
        threads[nthreads] = (pthread_t)t;
    } else {
        CHECK_ERR(pthread_create(&threads[nthreads], attr, thread_main, slot), 0);
    }
    nthreads++;
}

static pthread_attr_t none, guard_only, sized;

/* a thread of every kind: NULL attribute, attributes with and without a
 * size, thrd_create */
static void make_each(const char *when)
{
    make(when, "NULL attribute", NULL, false);
    make(when, "attribute without a size", &none, false);
    make(when, "attribute with only a guard size", &guard_only, false);
    make(when, "attribute with a size", &sized, false);
    make(when, "thrd_create", NULL, true);
}

static const char *rule(size_t size)
{
    if (size == EXPLICIT)
        return "the attribute's size";
    if (size == DEFAULT_NP)
        return "pthread_setattr_default_np's size";
    if (size == default_size)
        return "the default size";
    static char other[64];
    snprintf(other, sizeof other, "%zu bytes, which no rule gives", size);
    return other;
}

/* MNRT_STACK as mnrt reads it (bytes, or k/m/g), only under mnrt */
static size_t mnrt_stack(void)
{
    const char *s = getenv("MNRT_STACK");
    if (!under_mnrt() || !s || !isdigit((unsigned char)*s))
        return 0;
    char *end;
    size_t v = strtoull(s, &end, 10);
    int shift = *end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20
              : *end == 'g' || *end == 'G' ? 30 : 0;
    return v << shift;
}

int main(void)
{
    pthread_attr_t def;
    CHECK_ERR(pthread_attr_init(&none), 0);
    CHECK_ERR(pthread_attr_getstacksize(&none, &default_size), 0); /* glibc's default */
    if (mnrt_stack())
        default_size = mnrt_stack();
    CHECK(default_size != EXPLICIT && default_size != DEFAULT_NP,
          "pick other test sizes: the default is %zu", default_size);
    CHECK_ERR(pthread_attr_init(&guard_only), 0);
    CHECK_ERR(pthread_attr_setguardsize(&guard_only, 3 * (size_t)sysconf(_SC_PAGESIZE)), 0);
    CHECK_ERR(pthread_attr_init(&sized), 0);
    CHECK_ERR(pthread_attr_setstacksize(&sized, EXPLICIT), 0);
    CHECK_ERR(pthread_barrier_init(&all_made, NULL, MAX_THREADS + 1), 0);

    make_each("");
    CHECK_ERR(pthread_attr_init(&def), 0);
    CHECK_ERR(pthread_attr_setstacksize(&def, DEFAULT_NP), 0);
    CHECK_ERR(pthread_setattr_default_np(&def), 0);
    make_each("after setattr_default_np: ");
    /* a default without a size keeps the size set before */
    CHECK_ERR(pthread_attr_destroy(&def), 0);
    CHECK_ERR(pthread_attr_init(&def), 0);
    CHECK_ERR(pthread_attr_setguardsize(&def, 2 * (size_t)sysconf(_SC_PAGESIZE)), 0);
    CHECK_ERR(pthread_setattr_default_np(&def), 0);
    make_each("after a setattr_default_np without a size: ");

    while (nthreads < MAX_THREADS) /* fill the barrier */
        make("", "spare", &sized, false);
    pthread_barrier_wait(&all_made);
    for (int i = 0; i < nthreads; i++) {
        CHECK_ERR(pthread_join(threads[i], NULL), 0);
        if (strcmp(names[i], "spare") != 0)
            printf("%s: %s\n", names[i], rule(seen[i]));
    }
    CHECK_ERR(pthread_barrier_destroy(&all_made), 0);
    return 0;
}
