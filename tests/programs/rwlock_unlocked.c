/* pthread_rwlock_unlock of a readers-writer lock that nobody holds
 * (never locked, or unlocked once too often after a read or a write lock,
 * of either kind), or that another thread holds for writing, returns 0,
 * as glibc 2.36's does (it takes any unlock by a thread that is not the
 * writer for a reader's). glibc then leaves the lock corrupted (its reader
 * count wraps: a trywrlock says EBUSY for ever), so what follows the
 * unlock is not compared with the native run; under mnrt the lock must
 * work as before: held by its writer if it had one, then free for a
 * writer, then for readers. */
#include "check.h"

#include <errno.h>
#include <pthread.h>

static void still_works(pthread_rwlock_t *l)
{
    if (!under_mnrt())
        return; /* glibc's lock is broken now (above) */
    CHECK_ERR(pthread_rwlock_trywrlock(l), 0);
    CHECK_ERR(pthread_rwlock_tryrdlock(l), EBUSY);
    CHECK_ERR(pthread_rwlock_unlock(l), 0);
    CHECK_ERR(pthread_rwlock_tryrdlock(l), 0);
    CHECK_ERR(pthread_rwlock_tryrdlock(l), 0);
    CHECK_ERR(pthread_rwlock_trywrlock(l), EBUSY);
    CHECK_ERR(pthread_rwlock_unlock(l), 0);
    CHECK_ERR(pthread_rwlock_unlock(l), 0);
    CHECK_ERR(pthread_rwlock_trywrlock(l), 0);
    CHECK_ERR(pthread_rwlock_unlock(l), 0);
}

/* A fresh lock of attr's kind, locked and unlocked once with lock (none
 * if NULL), then unlocked once more: what that last unlock returns. */
static int one_unlock_too_many(const pthread_rwlockattr_t *attr,
                               int (*lock)(pthread_rwlock_t *))
{
    pthread_rwlock_t l;
    CHECK_ERR(pthread_rwlock_init(&l, attr), 0);
    if (lock) {
        CHECK_ERR(lock(&l), 0);
        CHECK_ERR(pthread_rwlock_unlock(&l), 0);
    }
    int r = pthread_rwlock_unlock(&l);
    still_works(&l);
    CHECK_ERR(pthread_rwlock_destroy(&l), 0);
    return r;
}

static void unlock_unlocked(const char *kind, int pref)
{
    pthread_rwlockattr_t attr;
    CHECK_ERR(pthread_rwlockattr_init(&attr), 0);
    CHECK_ERR(pthread_rwlockattr_setkind_np(&attr, pref), 0);
    int never = one_unlock_too_many(&attr, NULL);
    int after_read = one_unlock_too_many(&attr, pthread_rwlock_rdlock);
    int after_write = one_unlock_too_many(&attr, pthread_rwlock_wrlock);
    CHECK_ERR(pthread_rwlockattr_destroy(&attr), 0);
    printf("%s: unlock of a lock never locked %s, after a read lock's unlock %s, "
           "after a write lock's unlock %s\n",
           kind, errname(never), errname(after_read), errname(after_write));
}

/* write-locked by another thread: glibc takes the unlock for a reader's */
static pthread_rwlock_t held = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t step;

static void *writer(void *arg)
{
    (void)arg;
    CHECK_ERR(pthread_rwlock_wrlock(&held), 0);
    pthread_barrier_wait(&step);
    pthread_barrier_wait(&step);
    if (under_mnrt())
        CHECK_ERR(pthread_rwlock_unlock(&held), 0);
    return NULL;
}

static void unlock_by_non_writer(void)
{
    pthread_t t;
    CHECK_ERR(pthread_barrier_init(&step, NULL, 2), 0);
    CHECK_ERR(pthread_create(&t, NULL, writer, NULL), 0);
    pthread_barrier_wait(&step);
    int r = pthread_rwlock_unlock(&held);
    if (under_mnrt()) /* the writer still holds it */
        CHECK_ERR(pthread_rwlock_tryrdlock(&held), EBUSY);
    pthread_barrier_wait(&step);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK_ERR(pthread_barrier_destroy(&step), 0);
    still_works(&held);
    printf("unlock of a lock another thread holds for writing %s\n", errname(r));
}

int main(void)
{
    unlock_unlocked("default kind", PTHREAD_RWLOCK_PREFER_READER_NP);
    unlock_unlocked("prefer-writer kind", PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    static pthread_rwlock_t st = PTHREAD_RWLOCK_INITIALIZER;
    int r = pthread_rwlock_unlock(&st);
    still_works(&st);
    printf("static initializer: unlock of a lock never locked %s\n", errname(r));
    unlock_by_non_writer();
    return 0;
}
