/* __thread variables, errno and stdio from many threads across yields,
 * sleeps and lock waits: each thread must keep its own values while other
 * threads run on the same kernel thread (docs/design.md §10), and stdio lines
 * must never interleave. */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#define THREADS 200
#define ROUNDS 200

static __thread long tls_counter = 1000;
static __thread char tls_name[32] = "unset";
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *sink;

static void *worker(void *arg)
{
    long id = (long)arg;
    snprintf(tls_name, sizeof tls_name, "worker-%ld", id);
    for (int r = 0; r < ROUNDS; r++) {
        tls_counter += id;
        errno = (int)(id * 1000 + r);
        switch (r % 3) {
        case 0: sched_yield(); break;
        case 1: usleep(100); break;
        case 2: pthread_mutex_lock(&mu); sched_yield(); pthread_mutex_unlock(&mu); break;
        }
        CHECK(errno == id * 1000 + r, "errno %d in thread %ld round %d", errno, id, r);
        char expect[32];
        snprintf(expect, sizeof expect, "worker-%ld", id);
        CHECK(strcmp(tls_name, expect) == 0, "tls_name %s in thread %ld", tls_name, id);
        /* one line per call: stdio's FILE lock keeps it whole */
        fprintf(sink, "thread %ld round %d %s\n", id, r, tls_name);
    }
    CHECK_EQ(tls_counter, 1000 + id * ROUNDS);
    return (void *)(tls_counter);
}

int main(void)
{
    sink = tmpfile();
    CHECK(sink, "tmpfile");
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, worker, (void *)i), 0);
    long sum = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        CHECK_EQ(pthread_join(t[i], &r), 0);
        sum += (long)r;
    }
    CHECK_EQ(tls_counter, 1000);
    /* every line must be exactly one thread's, whole */
    rewind(sink);
    char line[128];
    long lines = 0;
    while (fgets(line, sizeof line, sink)) {
        long id, r;
        char name[32], expect[32];
        CHECK(sscanf(line, "thread %ld round %ld %31s", &id, &r, name) == 3, "line %s", line);
        snprintf(expect, sizeof expect, "worker-%ld", id);
        CHECK(strcmp(name, expect) == 0, "interleaved line: %s", line);
        lines++;
    }
    printf("threads=%d lines=%ld sum=%ld main_tls=%ld\n", THREADS, lines, sum, tls_counter);
    return 0;
}
