/* The per-P run queue (core/runq.c) under real concurrency: one owner puts,
 * takes and turns the ring (randomized scheduling's shuffle) while thieves
 * on other threads steal; every G put must come out exactly once, whoever
 * takes it, and nothing else may come out. */
#include "core/runq.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define ITEMS 400000
#define THIEVES 3

static struct mn_g *as_g(uint32_t i)
{
    return (struct mn_g *)(uintptr_t)((i + 1) * 16);
}

static uint32_t of_g(struct mn_g *g)
{
    return (uint32_t)((uintptr_t)g / 16) - 1;
}

static _Atomic uint8_t seen[ITEMS];
static atomic_bool owner_done;
static struct mn_runq victim;

static void take(struct mn_g *g)
{
    uint32_t i = of_g(g);
    cr_assert_lt(i, ITEMS, "garbage G %p", (void *)g);
    uint8_t before = atomic_fetch_add(&seen[i], 1);
    cr_assert_eq(before, 0, "G %u taken twice", i);
}

static void *thief(void *arg)
{
    struct mn_runq *mine = arg;
    unsigned n = 0;
    while (!atomic_load(&owner_done) || !mn_runq_empty(&victim)) {
        struct mn_g *g = mn_runq_steal(mine, &victim, (n++ & 7) == 0, true);
        if (!g)
            continue;
        take(g);
        bool next;
        while ((g = mn_runq_get(mine, &next)))
            take(g);
    }
    return NULL;
}

Test(runq, concurrent_thieves_lose_and_duplicate_nothing)
{
    static struct mn_runq thief_q[THIEVES];
    pthread_t t[THIEVES];
    for (int i = 0; i < THIEVES; i++)
        pthread_create(&t[i], NULL, thief, &thief_q[i]);
    struct mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
    unsigned rnd = 1;
    for (uint32_t i = 0; i < ITEMS; i++) {
        int moved = mn_runq_put(&victim, as_g(i), (i % 5) == 0, overflow);
        for (int k = 0; k < moved; k++)
            take(overflow[k]);
        rnd = rnd * 1103515245 + 12345;
        if ((rnd >> 16) % 3 == 0) {
            bool next;
            struct mn_g *g = mn_runq_get(&victim, &next);
            if (g)
                take(g);
        } else if ((rnd >> 16) % 7 == 0) {
            mn_runq_rotate(&victim, (rnd >> 4) % 300);
        }
    }
    atomic_store(&owner_done, true);
    bool next;
    struct mn_g *g;
    while ((g = mn_runq_get(&victim, &next)))
        take(g);
    for (int i = 0; i < THIEVES; i++)
        pthread_join(t[i], NULL);
    for (uint32_t i = 0; i < ITEMS; i++)
        cr_assert_eq(atomic_load(&seen[i]), 1, "G %u taken %u times", i, seen[i]);
}

Test(runq, runnext_first_then_fifo)
{
    static struct mn_runq q;
    struct mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
    for (uint32_t i = 0; i < 10; i++)
        cr_assert_eq(mn_runq_put(&q, as_g(i), false, overflow), 0);
    mn_runq_put(&q, as_g(100), true, overflow);
    mn_runq_put(&q, as_g(101), true, overflow); /* kicks 100 to the tail */
    cr_assert_eq(mn_runq_len(&q), 12);
    bool next;
    cr_assert_eq(of_g(mn_runq_get(&q, &next)), 101);
    cr_assert(next);
    for (uint32_t i = 0; i < 10; i++) {
        cr_assert_eq(of_g(mn_runq_get(&q, &next)), i);
        cr_assert(!next);
    }
    cr_assert_eq(of_g(mn_runq_get(&q, &next)), 100);
    cr_assert_null(mn_runq_get(&q, &next));
    cr_assert(mn_runq_empty(&q));
}

Test(runq, full_ring_overflows_half_plus_one)
{
    static struct mn_runq q;
    struct mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
    for (uint32_t i = 0; i < MN_RUNQ_SIZE; i++)
        cr_assert_eq(mn_runq_put(&q, as_g(i), false, overflow), 0);
    int moved = mn_runq_put(&q, as_g(MN_RUNQ_SIZE), false, overflow);
    cr_assert_eq(moved, MN_RUNQ_SIZE / 2 + 1);
    for (int k = 0; k < MN_RUNQ_SIZE / 2; k++)
        cr_assert_eq(of_g(overflow[k]), (uint32_t)k, "oldest half moves out, in order");
    cr_assert_eq(of_g(overflow[MN_RUNQ_SIZE / 2]), MN_RUNQ_SIZE);
    cr_assert_eq(mn_runq_len(&q), MN_RUNQ_SIZE / 2);
}

Test(runq, steal_takes_about_half)
{
    static struct mn_runq a, b;
    struct mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
    for (uint32_t i = 0; i < 20; i++)
        mn_runq_put(&a, as_g(i), false, overflow);
    struct mn_g *g = mn_runq_steal(&b, &a, false, false);
    cr_assert_not_null(g);
    cr_assert_eq(mn_runq_len(&b) + 1, 10);
    cr_assert_eq(mn_runq_len(&a), 10);
    /* runnext is only taken when asked */
    static struct mn_runq c, d;
    mn_runq_put(&c, as_g(7), true, overflow);
    cr_assert_null(mn_runq_steal(&d, &c, false, false));
    cr_assert_eq(of_g(mn_runq_steal(&d, &c, true, false)), 7);
}

Test(runq, rotate_moves_the_head_to_the_tail)
{
    static struct mn_runq q;
    struct mn_g *overflow[MN_RUNQ_SIZE / 2 + 1];
    for (uint32_t i = 0; i < MN_RUNQ_SIZE; i++) /* full: the tail wraps onto the head */
        cr_assert_eq(mn_runq_put(&q, as_g(i), false, overflow), 0);
    mn_runq_put(&q, as_g(1000), true, overflow);
    mn_runq_rotate(&q, 3);
    cr_assert_eq(mn_runq_len(&q), MN_RUNQ_SIZE + 1);
    bool next;
    cr_assert_eq(of_g(mn_runq_get(&q, &next)), 1000, "runnext is not part of the ring");
    for (uint32_t i = 0; i < MN_RUNQ_SIZE; i++)
        cr_assert_eq(of_g(mn_runq_get(&q, &next)), (i + 3) % MN_RUNQ_SIZE);
    mn_runq_rotate(&q, 5); /* empty: nothing to turn */
    cr_assert(mn_runq_empty(&q));
}
