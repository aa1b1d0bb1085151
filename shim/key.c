/* pthread_key_*: thread-specific data. Values live in a two-level table
 * hung from a TLS pointer of libmnrt, so each G (its own TLS) and each
 * foreign thread has its own. Every key carries a sequence number, odd
 * while in use, bumped by create and delete; a value is valid only if
 * stored under the key's current sequence (as glibc does), so a deleted
 * and re-created key reads NULL everywhere.
 * Destructors run at thread exit, up to PTHREAD_DESTRUCTOR_ITERATIONS
 * rounds: for a G from mn_thread_finish, for a foreign thread through
 * glibc's thread-exit callbacks (__cxa_thread_atexit_impl). */
#include "shim/pthread_impl.h"

#include <limits.h>
#include <stdlib.h>

#define L2 32
#define L1 (PTHREAD_KEYS_MAX / L2)

struct key {
    _Atomic uintptr_t seq;
    void (*_Atomic dtor)(void *);
};

struct slot {
    uintptr_t seq;
    void *value;
};

struct tsd {
    struct slot *block[L1];
};

static struct key keys[PTHREAD_KEYS_MAX];
static __thread struct tsd *tls_tsd;

extern int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso);
extern void *__dso_handle;

MN_EXPORT int pthread_key_create(pthread_key_t *key, void (*dtor)(void *))
{
    for (unsigned k = 0; k < PTHREAD_KEYS_MAX; k++) {
        uintptr_t seq = atomic_load(&keys[k].seq);
        if ((seq & 1) || seq + 1 == 0)
            continue; /* in use, or its sequence is exhausted */
        if (!atomic_compare_exchange_strong(&keys[k].seq, &seq, seq + 1))
            continue;
        atomic_store(&keys[k].dtor, dtor);
        *key = k;
        return 0;
    }
    return EAGAIN;
}

MN_EXPORT int pthread_key_delete(pthread_key_t key)
{
    if (key >= PTHREAD_KEYS_MAX)
        return EINVAL;
    uintptr_t seq = atomic_load(&keys[key].seq);
    if (!(seq & 1) || !atomic_compare_exchange_strong(&keys[key].seq, &seq, seq + 1))
        return EINVAL;
    return 0;
}

MN_EXPORT void *pthread_getspecific(pthread_key_t key)
{
    struct tsd *t = tls_tsd;
    if (!t || key >= PTHREAD_KEYS_MAX)
        return NULL;
    struct slot *b = t->block[key / L2];
    if (!b)
        return NULL;
    struct slot *s = &b[key % L2];
    return s->seq == atomic_load_explicit(&keys[key].seq, memory_order_relaxed) ? s->value
                                                                                : NULL;
}

static void run_destructors(void *unused);

MN_EXPORT int pthread_setspecific(pthread_key_t key, const void *value)
{
    if (key >= PTHREAD_KEYS_MAX)
        return EINVAL;
    uintptr_t seq = atomic_load_explicit(&keys[key].seq, memory_order_relaxed);
    if (!(seq & 1))
        return EINVAL;
    struct tsd *t = tls_tsd;
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t)
            return ENOMEM;
        tls_tsd = t;
        if (!mn_getg()) /* a G runs its destructors in mn_thread_finish */
            __cxa_thread_atexit_impl(run_destructors, NULL, __dso_handle);
    }
    struct slot **bp = &t->block[key / L2];
    if (!*bp) {
        *bp = calloc(L2, sizeof **bp);
        if (!*bp)
            return ENOMEM;
    }
    (*bp)[key % L2] = (struct slot){seq, (void *)value};
    return 0;
}

static void run_destructors(void *unused)
{
    (void)unused;
    struct tsd *t = tls_tsd;
    if (!t)
        return;
    for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
        bool ran = false;
        for (unsigned i = 0; i < L1; i++) {
            struct slot *b = t->block[i];
            for (unsigned j = 0; b && j < L2; j++) {
                unsigned k = i * L2 + j;
                void *v = b[j].value;
                uintptr_t seq = atomic_load(&keys[k].seq);
                if (!v || b[j].seq != seq)
                    continue;
                b[j].value = NULL;
                void (*dtor)(void *) = atomic_load(&keys[k].dtor);
                if (dtor && (seq & 1)) {
                    dtor(v);
                    ran = true;
                }
            }
        }
        if (!ran)
            break;
    }
    for (unsigned i = 0; i < L1; i++)
        free(t->block[i]);
    free(t);
    tls_tsd = NULL;
}

void mn_keys_run_destructors(void)
{
    run_destructors(NULL);
}
