/* A malloc that locks a pthread mutex around glibc's, as jemalloc does
 * (its arenas, extents and caches are guarded by pthread mutexes), and
 * that dies with "malloc re-entered" when it is entered again on the same
 * thread while inside: that never happens natively (pthread_mutex_unlock
 * allocates nothing), and must not happen under mnrt, whose unlock may
 * ready a thread that wants a new kernel thread (made with glibc's
 * pthread_create, which allocates). Linked into foreign_malloc_locking
 * and malloc_lock_yield; the latter holds the allocator's lock itself
 * (locking_malloc_hold/release) as a thread inside jemalloc does while it
 * waits or is preempted. */
#include "locking_malloc_lib.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int inside __attribute__((tls_model("initial-exec")));

static void enter(void)
{
    if (inside++) {
        static const char msg[] = "locking_malloc: malloc re-entered\n";
        write(2, msg, sizeof msg - 1);
        abort();
    }
    pthread_mutex_lock(&lock);
}

static void leave(void)
{
    pthread_mutex_unlock(&lock);
    inside--;
}

/* call, between enter() and leave() */
#define LOCKED(call)                                                           \
    __extension__({                                                            \
        enter();                                                               \
        __typeof__(call) r_ = (call);                                          \
        leave();                                                               \
        r_;                                                                    \
    })

void *malloc(size_t n)
{
    return LOCKED(__libc_malloc(n));
}

void *calloc(size_t n, size_t size)
{
    return LOCKED(__libc_calloc(n, size));
}

void *realloc(void *old, size_t n)
{
    return LOCKED(__libc_realloc(old, n));
}

void *memalign(size_t align, size_t n)
{
    return LOCKED(__libc_memalign(align, n));
}

void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    void *p = memalign(align, n);
    if (!p)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *p)
{
    enter();
    __libc_free(p);
    leave();
}

void locking_malloc_hold(void)
{
    pthread_mutex_lock(&lock);
}

void locking_malloc_release(void)
{
    pthread_mutex_unlock(&lock);
}
