/* 2,000 threads that each lock a stream (flockfile), write a line, yield,
 * write a second line and unlock it, while 200 others write single lines
 * with no lock of their own (glibc's stdio takes the same lock inside):
 * under mnrt the threads waiting for the stream park, so the process
 * keeps at most procs + 8 kernel threads (it peaked at about 2,000: each
 * waiter held its kernel thread in glibc's lock); natively one per
 * thread. Mutual exclusion holds: every locked pair of lines is
 * adjacent in the file, and every line is there. */
#include "check.h"

#include <sched.h>
#include <stdatomic.h>

#define LOCKERS 2000
#define PLAIN 200
#define PLAIN_LINES 10

static FILE *out;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int open_gate;
static atomic_int done;

static void wait_gate(void)
{
    pthread_mutex_lock(&gate_mu);
    while (!open_gate)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void *locker(void *arg)
{
    int i = (int)(intptr_t)arg;
    wait_gate();
    flockfile(out);
    fprintf(out, "L %d first\n", i);
    sched_yield();
    fprintf(out, "L %d second\n", i);
    funlockfile(out);
    atomic_fetch_add(&done, 1);
    return NULL;
}

static void *plain(void *arg)
{
    int i = (int)(intptr_t)arg;
    wait_gate();
    for (int k = 0; k < PLAIN_LINES; k++)
        fprintf(out, "P %d %d\n", i, k);
    atomic_fetch_add(&done, 1);
    return NULL;
}

int main(void)
{
    out = tmpfile();
    CHECK(out != NULL, "tmpfile: %s", strerror(errno));
    setvbuf(out, NULL, _IOFBF, 1 << 16);
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    static pthread_t t[LOCKERS + PLAIN];
    for (int i = 0; i < LOCKERS; i++)
        CHECK_EQ(pthread_create(&t[i], &small, locker, (void *)(intptr_t)i), 0);
    for (int i = 0; i < PLAIN; i++)
        CHECK_EQ(pthread_create(&t[LOCKERS + i], &small, plain, (void *)(intptr_t)i), 0);
    pthread_mutex_lock(&gate_mu);
    open_gate = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    int most = 0;
    while (atomic_load(&done) < LOCKERS + PLAIN) {
        int n = kernel_threads();
        if (n > most)
            most = n;
        usleep(2000);
    }
    join_all(t, LOCKERS + PLAIN);

    /* every line there once, each locked pair adjacent */
    rewind(out);
    static char seen_first[LOCKERS], seen_second[LOCKERS];
    static int plain_lines[PLAIN];
    char line[64];
    int pending = -1;
    while (fgets(line, sizeof line, out)) {
        int i, k;
        char which[16];
        if (sscanf(line, "L %d %15s", &i, which) == 2) {
            CHECK(i >= 0 && i < LOCKERS, "bad line %s", line);
            if (strcmp(which, "first") == 0) {
                CHECK(pending < 0, "line of %d between the lines of %d", i, pending);
                seen_first[i]++;
                pending = i;
            } else {
                CHECK(pending == i, "second line of %d after the first of %d", i, pending);
                seen_second[i]++;
                pending = -1;
            }
        } else {
            CHECK(sscanf(line, "P %d %d", &i, &k) == 2 && i >= 0 && i < PLAIN, "bad line %s",
                  line);
            CHECK(pending < 0, "a plain line between the lines of %d", pending);
            plain_lines[i]++;
        }
    }
    for (int i = 0; i < LOCKERS; i++)
        CHECK(seen_first[i] == 1 && seen_second[i] == 1, "thread %d: %d, %d lines", i,
              seen_first[i], seen_second[i]);
    for (int i = 0; i < PLAIN; i++)
        CHECK_EQ(plain_lines[i], PLAIN_LINES);
    if (under_mnrt()) {
        fprintf(stderr, "kernel threads: at most %d (limit %d)\n", most, mnrt_procs() + 8);
        CHECK(most <= mnrt_procs() + 8, "%d kernel threads", most);
    }
    printf("%d threads wrote locked pairs and %d wrote plain lines: all there, pairs whole\n",
           LOCKERS, PLAIN);
    return 0;
}
