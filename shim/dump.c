/* mnrt_dump(fd) (mnrt.h), and what a waiting thread waits for in words,
 * for the thread dumps of core/dump.h: the shim knows its objects, the
 * dump only the reason and the address a wait recorded. A wait on a wait
 * queue records the queue's address, a word inside the object; for the
 * objects whose word is not their first (rwlocks, barriers) the object's
 * address is found from the word's place, the layouts of rwlock.c and
 * barrier.c (tests/programs/dump_waits checks them against the program's
 * own objects). */
#include "shim/pthread_impl.h"

#include "core/dump.h"
#include "shim/mnrt.h"

#include <stdio.h>
#include <string.h>

/* Where the word waited on lies in each object (rwlock.c: readers wait on
 * __wrphase_futex, writers on __writers; barrier.c: on its generation). */
#define RWLOCK_READERS_WORD 8
#define RWLOCK_WRITERS_WORD 4
#define BARRIER_WORD 8
_Static_assert(offsetof(struct __pthread_rwlock_arch_t, __wrphase_futex) == RWLOCK_READERS_WORD,
               "rwlock.c's readers' word");
_Static_assert(offsetof(struct __pthread_rwlock_arch_t, __writers) == RWLOCK_WRITERS_WORD,
               "rwlock.c's writers' word");

static const void *back(const void *p, size_t off)
{
    return p ? (const char *)p - off : NULL;
}

static int describe(const struct mn_dump_wait *w, char *buf, size_t len)
{
    const char *r = w->reason;
    if (!r)
        return -1;
    const void *o = w->obj;
    long long n = (long long)w->num;
    if (!strcmp(r, "mutex lock"))
        return snprintf(buf, len, "mutex %p", o);
    if (!strcmp(r, "cond wait"))
        return snprintf(buf, len, "cond %p", o);
    if (!strcmp(r, "rwlock read"))
        return snprintf(buf, len, "rwlock %p (read)", back(o, RWLOCK_READERS_WORD));
    if (!strcmp(r, "rwlock write"))
        return snprintf(buf, len, "rwlock %p (write)", back(o, RWLOCK_WRITERS_WORD));
    if (!strcmp(r, "barrier"))
        return snprintf(buf, len, "barrier %p", back(o, BARRIER_WORD));
    if (!strcmp(r, "semaphore"))
        return snprintf(buf, len, "semaphore %p", o);
    if (!strcmp(r, "once"))
        return snprintf(buf, len, "pthread_once %p", o);
    if (!strcmp(r, "futex"))
        return snprintf(buf, len, "futex %p", o);
    if (!strcmp(r, "thread join"))
        return snprintf(buf, len, "join of thread %lld", n);
    if (!strcmp(r, "fd read") || !strcmp(r, "fd write"))
        return snprintf(buf, len, "fd %lld %s", n, r + 3);
    if (!strcmp(r, "accept") || !strcmp(r, "connect") || !strcmp(r, "epoll_wait"))
        return snprintf(buf, len, "%s on fd %lld", r, n);
    if (!strcmp(r, "poll"))
        return snprintf(buf, len, "poll on %lld fd%s", n, n == 1 ? "" : "s");
    return -1;
}

struct dump_args {
    int fd, err;
    mn_g *self;
};

static void run_dump(void *arg)
{
    struct dump_args *a = arg;
    a->err = mn_dump_write(a->fd, 0, a->self);
}

MN_EXPORT int mnrt_dump(int fd)
{
    if (mn_native()) {
        errno = ENOSYS;
        return -1;
    }
    struct dump_args a = {fd, 0, mn_getg()};
    mn_call_on_g0(run_dump, &a); /* off the G (core/dump.h); in place elsewhere */
    if (a.err) {
        errno = a.err;
        return -1;
    }
    return 0;
}

void mn_dump_shim_boot(void)
{
    mn_dump_describe_wait = describe;
}
