/* A gone thread's malloc tcache: see tcache.h. */
#include "compat/tcache.h"

#include "compat/log.h"

#include <stdint.h>
#include <stdlib.h>

#define BINS 64

struct tcache {
    uint16_t counts[BINS];
    uintptr_t entries[BINS];
};

static ptrdiff_t word;
static bool known;
static bool mangled; /* next pointers stored as (own address >> 12) ^ next */

static uintptr_t reveal(const uintptr_t *next)
{
    return mangled ? ((uintptr_t)next >> 12) ^ *next : *next;
}

/* Whether t looks like a tcache whose only chunk is `freed`, the end of
 * its bin's list: its next then tells whether pointers are mangled. */
static bool holds_only(const struct tcache *t, const uintptr_t *freed)
{
    int found = 0;
    for (int i = 0; i < BINS; i++) {
        if (t->counts[i] == 0 && t->entries[i] == 0)
            continue;
        if (t->counts[i] != 1 || t->entries[i] != (uintptr_t)freed)
            return false;
        found++;
    }
    if (found != 1 || (*freed != 0 && *freed != (uintptr_t)freed >> 12))
        return false;
    mangled = *freed != 0;
    return true;
}

void mn_tcache_learn(const void *tcb, const ptrdiff_t *words, int n, const void *freed,
                     size_t size)
{
    (void)size; /* which bin it went to is glibc's business: any one */
    for (int i = 0; i < n; i++) {
        const struct tcache *t = *(const struct tcache *const *)((const char *)tcb + words[i]);
        /* the other word is the arena: a large structure, readable */
        if ((uintptr_t)t >= 65536 && ((uintptr_t)t & 15) == 0 && holds_only(t, freed)) {
            word = words[i];
            known = true;
            return;
        }
    }
}

bool mn_tcache_release(void *tcb)
{
    if (!known)
        return false;
    struct tcache **slot = (struct tcache **)((char *)tcb + word);
    struct tcache *t = *slot;
    if (!t)
        return true;
    *slot = NULL;
    for (int i = 0; i < BINS; i++) {
        uintptr_t e = t->entries[i];
        while (e) {
            if (e & 15)
                mn_fatal("a finished thread's malloc cache holds an unaligned chunk");
            uintptr_t *entry = (uintptr_t *)e;
            e = reveal(entry);
            entry[1] = 0; /* its key: not taken for a double free */
            free(entry);
        }
    }
    free(t);
    return true;
}
