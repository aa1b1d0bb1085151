/* pthread_atfork's handlers, kept by mnrt rather than glibc, so that fork
 * (shim/fork.c) runs mnrt's own step exactly between the program's
 * prepare handlers and glibc's fork work: the runtime's locks are taken
 * after every prepare handler (which may wait for the program's locks,
 * parking its G) and the runtime is rebuilt in the child before any
 * child handler (which may make threads) runs. With glibc's list that
 * place cannot be had: a library registered before libmnrt booted would
 * run its prepare handler after mnrt's.
 *
 * Order and locking are glibc's (posix/register-atfork.c): prepare
 * handlers in reverse order of registration, parent and child handlers in
 * order; the list stays locked from the first prepare handler to the last
 * parent or child handler, so a handler that registers another waits
 * forever, as natively; handlers registered meanwhile by other threads
 * wait for the fork to end. A library that is unloaded takes its handlers
 * along (__cxa_finalize with its handle, as glibc's does).
 *
 * The lock is a pthread mutex of mnrt's own (it may park a G); in the
 * child its one holder is the forking thread, which unlocks it. */
#include "shim/pthread_impl.h"

#include <stdlib.h>

struct handler {
    void (*prepare)(void);
    void (*parent)(void);
    void (*child)(void);
    void *dso;
};

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct handler *list;
static size_t count, cap;
static size_t in_fork; /* handlers whose prepare ran: parent/child runs them */

MN_EXPORT int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                                void *dso)
{
    pthread_mutex_lock(&list_lock);
    int err = 0;
    if (count == cap) {
        size_t more = cap ? 2 * cap : 16;
        struct handler *bigger = realloc(list, more * sizeof *bigger);
        if (bigger) {
            list = bigger;
            cap = more;
        } else {
            err = ENOMEM;
        }
    }
    if (!err)
        list[count++] = (struct handler){prepare, parent, child, dso};
    pthread_mutex_unlock(&list_lock);
    return err;
}

/* Old binaries link the libpthread name; new ones a static stub that
 * calls __register_atfork with their own handle. */
MN_EXPORT int pthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    return __register_atfork(prepare, parent, child, NULL);
}

MN_EXPORT void __cxa_finalize(void *dso)
{
    mn_real.__cxa_finalize(dso);
    if (!dso)
        return;
    pthread_mutex_lock(&list_lock);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (list[i].dso != dso)
            list[kept++] = list[i];
    count = kept;
    pthread_mutex_unlock(&list_lock);
}

void mn_atfork_prepare(void)
{
    pthread_mutex_lock(&list_lock);
    in_fork = count;
    for (size_t i = in_fork; i-- > 0;)
        if (list[i].prepare)
            list[i].prepare();
}

void mn_atfork_finish(bool child)
{
    for (size_t i = 0; i < in_fork; i++) {
        void (*fn)(void) = child ? list[i].child : list[i].parent;
        if (fn)
            fn();
    }
    pthread_mutex_unlock(&list_lock);
}
