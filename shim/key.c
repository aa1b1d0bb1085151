/* pthread_key_*: thread-specific data. Values live in libmnrt's static
 * TLS, so each G (its own TLS) and each foreign thread has its own: the
 * first 32 keys in a block of their own, as glibc keeps them in the
 * thread descriptor, so that setting one never allocates (jemalloc sets
 * its key from inside malloc and relies on that); further keys in blocks
 * of 32 allocated on first use. Every key carries a sequence number, odd
 * while in use, bumped by create and delete; a value is valid only if
 * stored under the key's current sequence (as glibc does), so a deleted
 * and re-created key reads NULL everywhere.
 * Destructors run at thread exit, up to PTHREAD_DESTRUCTOR_ITERATIONS
 * rounds: for a G from mn_thread_finish, for a foreign thread from the
 * destructor of one glibc key of mnrt's own, set on its first use. A G's
 * exit then gives up the robust mutexes it still holds (mutex_robust.c;
 * the kernel does it for a foreign thread). */
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

static struct key keys[PTHREAD_KEYS_MAX];
static __thread struct slot first_block[L2];
static __thread struct slot *blocks[L1]; /* blocks[0] unused: first_block */
static __thread bool exit_hooked;        /* a foreign thread's glibc key is set */
static __thread bool any_set;            /* a value was ever stored: destructors to look for */

static pthread_once_t glibc_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t glibc_key;
static bool glibc_key_ok;

static struct slot *block(unsigned i)
{
    return i == 0 ? first_block : blocks[i];
}

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
    if (key >= PTHREAD_KEYS_MAX)
        return NULL;
    struct slot *b = block(key / L2);
    if (!b)
        return NULL;
    struct slot *s = &b[key % L2];
    return s->seq == atomic_load_explicit(&keys[key].seq, memory_order_relaxed) ? s->value
                                                                                : NULL;
}

static void run_destructors(void *unused);

static void make_glibc_key(void)
{
    glibc_key_ok = mn_real.pthread_key_create(&glibc_key, run_destructors) == 0;
}

/* A foreign thread runs its destructors when glibc runs its keys'. */
static void hook_thread_exit(void)
{
    if (exit_hooked || mn_getg())
        return;
    mn_real.pthread_once(&glibc_key_once, make_glibc_key);
    if (glibc_key_ok && mn_real.pthread_setspecific(glibc_key, first_block) == 0)
        exit_hooked = true;
}

MN_EXPORT int pthread_setspecific(pthread_key_t key, const void *value)
{
    if (key >= PTHREAD_KEYS_MAX)
        return EINVAL;
    uintptr_t seq = atomic_load_explicit(&keys[key].seq, memory_order_relaxed);
    if (!(seq & 1))
        return EINVAL;
    struct slot *b = block(key / L2);
    if (!b) {
        b = calloc(L2, sizeof *b);
        if (!b)
            return ENOMEM;
        blocks[key / L2] = b;
    }
    b[key % L2] = (struct slot){seq, (void *)value};
    any_set = true;
    hook_thread_exit();
    return 0;
}

/* Up to max destructor rounds, as glibc's __nptl_deallocate_tsd; returns
 * how many rounds called a destructor. */
static int run_rounds(int max)
{
    int rounds = 0;
    while (rounds < max) {
        bool ran = false;
        for (unsigned i = 0; i < L1; i++) {
            struct slot *b = block(i);
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
        rounds++;
    }
    return rounds;
}

/* Frees the allocated blocks, unhooking each first: free() itself may
 * set a key again (jemalloc's does, once its own destructor ran), which
 * must not write into a freed block. Returns whether there were any. */
static bool free_blocks(void)
{
    bool freed = false;
    for (unsigned i = 1; i < L1; i++) {
        struct slot *b = blocks[i];
        if (b) {
            blocks[i] = NULL;
            free(b);
            freed = true;
        }
    }
    return freed;
}

/* PTHREAD_DESTRUCTOR_ITERATIONS rounds in all, also for values that
 * freeing the blocks set again. */
static void run_destructors(void *unused)
{
    (void)unused;
    if (!any_set)
        return; /* most threads never store a value */
    any_set = false;
    int left = PTHREAD_DESTRUCTOR_ITERATIONS;
    do
        left -= run_rounds(left);
    while (free_blocks() && left > 0);
    free_blocks();
}

void mn_keys_run_destructors(void)
{
    run_destructors(NULL);
    mn_mutex_robust_thread_exit(); /* last, as the kernel does it for a kernel thread */
}
