/* A G's dtv in memory mnrt owns: see dtv.h. */
#include "compat/dtv.h"

#include "compat/log.h"

#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TLS_DTV_UNALLOCATED ((void *)-1l)

/* The highest TLS module id loaded at boot or seen after a dlopen, and the
 * least room of the dtvs made (0: none yet). */
static _Atomic size_t modid_hi;
static _Atomic size_t room;

/* What set-up wrote (dtv.h): in the entry before the length. */
struct written {
    size_t last;               /* the highest entry */
    size_t gen;                /* the generation then */
};

static struct written *written(mn_dtv_t *dtv)
{
    return (struct written *)&dtv[-2];
}

/* The entries of dtv that may hold something (dtv.h, invariants). */
static size_t extent(mn_dtv_t *dtv)
{
    const struct written *w = written(dtv);
    return dtv[0].counter == w->gen ? w->last : dtv[-1].counter;
}

static _Noreturn void no_room(size_t modid, size_t slots)
{
    mn_fatal("a library with thread-local storage has module id %zu; mnrt's threads have room "
             "for %zu",
             modid, slots);
}

mn_dtv_t *mn_dtv_prepare(mn_dtv_t *mem, size_t slots)
{
    size_t was = atomic_load(&room);
    while ((was == 0 || slots < was) && !atomic_compare_exchange_weak(&room, &was, slots))
        ;
    mem[1].counter = slots;
    return mem + 2;
}

void mn_dtv_adopt(mn_dtv_t *own, mn_dtv_t *made)
{
    size_t last = made[-1].counter;
    while (last > 0 && !made[last].pointer.val && !made[last].pointer.to_free)
        last--;
    if (last > own[-1].counter)
        no_room(last, own[-1].counter);
    size_t before = extent(own);
    memcpy(own, made, (last + 1) * sizeof *own); /* the generation, entries 1..last */
    if (before > last)
        memset(&own[last + 1], 0, (before - last) * sizeof *own);
    *written(own) = (struct written){last, own[0].counter};
    free(&made[-1]); /* glibc callocs a dtv with its length first */
}

void mn_dtv_free_blocks(mn_dtv_t *dtv)
{
    size_t n = extent(dtv), last = 0;
    for (size_t i = 1; i <= n; i++) {
        if (dtv[i].pointer.to_free) {
            free(dtv[i].pointer.to_free);
            dtv[i].pointer.to_free = NULL;
            dtv[i].pointer.val = TLS_DTV_UNALLOCATED;
        }
        if (dtv[i].pointer.val)
            last = i;
    }
    *written(dtv) = (struct written){last, dtv[0].counter};
}

static int highest_modid(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    size_t *hi = arg;
    if (info->dlpi_tls_modid > *hi)
        *hi = info->dlpi_tls_modid;
    return 0;
}

void mn_dtv_note_modules(void)
{
    size_t hi = 0;
    dl_iterate_phdr(highest_modid, &hi);
    size_t was = atomic_load(&modid_hi);
    while (hi > was && !atomic_compare_exchange_weak(&modid_hi, &was, hi))
        ;
    size_t slots = atomic_load(&room);
    if (slots && hi > slots)
        no_room(hi, slots);
}

bool mn_dtv_fits(size_t slots)
{
    return slots >= atomic_load(&modid_hi);
}
