/* main() starts threads and calls pthread_exit: the process lives on while
 * they run; main's key destructors run at its pthread_exit; another thread
 * can join the main thread and get its exit value; threads keep creating
 * threads; and the process exits with status 0, flushing stdio and running
 * the atexit handlers exactly once, when the last thread finishes. Daemons
 * written as "main sets up, workers carry on" depend on this; mnrt makes
 * the main thread a G with a frame of its own below main() so that
 * pthread_exit can unwind to it (shim/boot.c). */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>

#define CHAIN 8

static pthread_t main_thread;
static pthread_t chain[CHAIN];
static atomic_int atexit_runs;
static pthread_key_t key;

static void at_exit(void)
{
    /* stdout is still open and is flushed after this */
    printf("atexit handler: run %d\n", atomic_fetch_add(&atexit_runs, 1) + 1);
}

static void main_key_dtor(void *v)
{
    printf("main's key destructor: %s\n", (const char *)v);
}

static void *last_one(void *arg)
{
    (void)arg;
    usleep(20 * 1000); /* outlive the thread that made it */
    printf("a detached thread made after main exited: done\n");
    return NULL;
}

static void *chain_link(void *arg)
{
    int i = (int)(intptr_t)arg;
    void *r;
    /* thread 0 joins main, every other one its predecessor: one line each, in order */
    CHECK_ERR(pthread_join(i == 0 ? main_thread : chain[i - 1], &r), 0);
    CHECK_EQ((intptr_t)r, i == 0 ? 99 : i - 1);
    printf("thread %d: joined %s, value %ld\n", i, i == 0 ? "main" : "its predecessor",
           (long)(intptr_t)r);
    if (i == CHAIN - 1) {
        pthread_attr_t attr;
        pthread_t t;
        CHECK_ERR(pthread_attr_init(&attr), 0);
        CHECK_ERR(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED), 0);
        CHECK_ERR(pthread_create(&t, &attr, last_one, NULL), 0);
        CHECK_ERR(pthread_attr_destroy(&attr), 0);
    }
    return (void *)(intptr_t)i;
}

int main(void)
{
    CHECK_EQ(atexit(at_exit), 0);
    main_thread = pthread_self();
    CHECK_ERR(pthread_key_create(&key, main_key_dtor), 0);
    CHECK_ERR(pthread_setspecific(key, "ran at main's pthread_exit"), 0);
    /* thread i starts after chain[i - 1] was stored */
    for (int i = 0; i < CHAIN; i++)
        CHECK_ERR(pthread_create(&chain[i], NULL, chain_link, (void *)(intptr_t)i), 0);
    printf("main: %d threads started, calling pthread_exit\n", CHAIN);
    pthread_exit((void *)99);
}
