/* A program whose malloc is not glibc's (jemalloc, tcmalloc or mimalloc:
 * linked in, or preloaded before or after libmnrt.so) runs under mnrt:
 * the allocator keeps its per-thread state in each thread's own TLS, which
 * must stay right across parks and migrations, and its thread-exit
 * cleanup must run. 10,000 threads, up to 1,000 alive at once, each
 * allocate blocks of many sizes, fill them with their own pattern, sleep
 * in between (each sleep parks the thread under mnrt, which may then go
 * on on another kernel thread), check them, hand one block to another
 * thread to check and free, and free the rest. The peak RSS goes to
 * stderr (not compared: it differs); stdout is the same natively and
 * under the preload. */
#include "check.h"

#include <malloc.h>
#include <sys/resource.h>

#ifndef THREADS
#define THREADS 10000
#endif
#define ALIVE 1000
#define BLOCKS 8

struct block {
    unsigned owner;
    size_t size;
    unsigned char data[];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct block *mailbox[64];
static int mailed;
static long checked, freed_by_other;

static unsigned char pattern(unsigned owner, size_t i)
{
    return (unsigned char)(owner * 131 + i * 7);
}

static struct block *make(unsigned owner, size_t size)
{
    struct block *b = malloc(sizeof *b + size);
    CHECK(b != NULL, "malloc(%zu)", size);
    b->owner = owner;
    b->size = size;
    for (size_t i = 0; i < size; i++)
        b->data[i] = pattern(owner, i);
    return b;
}

static void check_block(const struct block *b)
{
    for (size_t i = 0; i < b->size; i++)
        CHECK(b->data[i] == pattern(b->owner, i), "block of thread %u damaged at %zu", b->owner,
              i);
}

static void nap(unsigned id)
{
    struct timespec ts = {0, (long)(id % 3 + 1) * 100000};
    nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct block *mine[BLOCKS];
    for (int k = 0; k < BLOCKS; k++)
        mine[k] = make(id, (size_t)16 << ((id + (unsigned)k) % 12)); /* 16 B .. 32 KiB */
    long seen = 0;
    for (int round = 0; round < 3; round++) {
        nap(id);
        for (int k = 0; k < BLOCKS; k++)
            check_block(mine[k]);
        seen += BLOCKS;
        free(mine[round]); /* and a new one, allocated after a park */
        mine[round] = make(id, (size_t)24 << ((id + (unsigned)round) % 10));
    }
    /* one block goes to whoever comes next; take one that came before */
    struct block *other = NULL;
    pthread_mutex_lock(&mu);
    if (mailed > 0)
        other = mailbox[--mailed];
    if (mailed < 64) {
        mailbox[mailed++] = mine[BLOCKS - 1];
        mine[BLOCKS - 1] = NULL;
    }
    pthread_mutex_unlock(&mu);
    if (other) {
        nap(id);
        check_block(other);
        free(other);
    }
    for (int k = 0; k < BLOCKS; k++)
        if (mine[k]) {
            check_block(mine[k]);
            free(mine[k]);
        }
    pthread_mutex_lock(&mu);
    checked += seen + (other != NULL);
    freed_by_other += other != NULL;
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    static pthread_t t[ALIVE];
    for (unsigned i = 0; i < THREADS; i++) {
        if (i >= ALIVE)
            CHECK_ERR(pthread_join(t[i % ALIVE], NULL), 0);
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, 256 * 1024);
        CHECK_ERR(pthread_create(&t[i % ALIVE], &a, worker, (void *)(uintptr_t)i), 0);
        pthread_attr_destroy(&a);
    }
    for (unsigned i = 0; i < ALIVE; i++)
        CHECK_ERR(pthread_join(t[i], NULL), 0);
    while (mailed > 0) {
        check_block(mailbox[--mailed]);
        free(mailbox[mailed]);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr, "peak RSS %ld KiB\n", ru.ru_maxrss);
    printf("%d threads: %ld block checks passed, %ld blocks freed by another thread\n", THREADS,
           checked, freed_by_other);
    return 0;
}
