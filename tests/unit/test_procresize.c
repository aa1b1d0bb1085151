/* Changing the number of Ps while Gs run (core/procresize.c), with the
 * scheduler booted inside the test process (no preload): more Ps join at
 * once, fewer Ps give up their run queues and timers, and no G, wake-up
 * or sleep is lost either way; new Ps are allocated while no runtime lock
 * is held. */
#include "compat/fsbase.h"
#include "compat/real.h"
#include "compat/tcb.h"
#include "core/config.h"
#include "core/futex.h"
#include "core/runtime.h"
#include "core/sched_internal.h"
#include "core/waiter.h"

#include <criterion/criterion.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>

#define GS 200
#define ROUNDS 20

static atomic_int steps;

/* mn_p_new allocates with the program's malloc, whose locks may be
 * pthread mutexes mnrt serves: nothing holding a runtime lock may wait
 * for one (core/lockrank.h). This allocator notes an allocation made
 * while the calling M held a lock. */
static atomic_bool allocated_under_lock;

void *aligned_alloc(size_t align, size_t size)
{
    struct mn_held *held = mn_tls_held;
    if (held && held->count > 0)
        atomic_store(&allocated_under_lock, true);
    return memalign(align, size);
}

static void g_main(mn_g *g)
{
    mn_g_exit(g->start(g->arg));
}

static void boot(int procs)
{
    mn_fsbase_init();
    cr_assert_null(mn_tcb_boot());
    int err;
    cr_assert_null(mn_tcb_threads_begin(mn_real.pthread_create, mn_real.pthread_join,
                                        mn_thread_pointer(), &err));
    cr_assert_eq(err, 0);
    mn_hooks.g_main = g_main;
    mn_config.procs = procs; /* the test's, not sized by sysmon (mn_procs_size) */
    mn_config.procs_fixed = true;
    cr_assert_null(mn_sched_prepare(procs));
    mn_sched_boot(procs, mn_g_boot_main());
}

static void *worker(void *arg)
{
    for (int i = 0; i < ROUNDS; i++) {
        if (i % 2) {
            mn_yield();
        } else { /* a 1 ms sleep: a timer on some P */
            struct mn_waiter w;
            mn_waiter_init(&w, "test sleep");
            mn_waiter_block(&w, mn_nanotime() + 1000 * 1000);
        }
        atomic_fetch_add(&steps, 1);
    }
    return arg;
}

static void spawn_all(mn_g **gs)
{
    for (int i = 0; i < GS; i++) {
        struct mn_g_spec spec = {.stack_size = 64 * 1024, .guard_size = 4096,
                                 .start = worker, .arg = (void *)(intptr_t)i};
        cr_assert_eq(mn_g_new(&spec, &gs[i]), 0);
        mn_g_run(gs[i]);
    }
}

static void join_all(mn_g **gs)
{
    for (int i = 0; i < GS; i++) {
        void *r;
        cr_assert_eq(mn_g_join(gs[i], &r, -1, false), 0);
        cr_assert_eq((intptr_t)r, i);
    }
}

Test(procresize, grow_and_shrink_while_running)
{
    boot(2);
    static mn_g *gs[GS];
    spawn_all(gs);
    mn_procresize(4);
    cr_assert_eq(atomic_load(&mn_sched.procs), 4);
    mn_yield();
    mn_procresize(1);
    cr_assert_eq(atomic_load(&mn_sched.procs), 1);
    join_all(gs);
    cr_assert_eq(atomic_load(&steps), GS * ROUNDS, "steps lost: %d", atomic_load(&steps));

    /* the retired Ps hold nothing any more */
    for (int i = 1; i < mn_sched.nallp; i++) {
        cr_assert(mn_runq_empty(&mn_sched.allp[i]->runq), "P%d keeps Gs", i);
        cr_assert_eq(mn_timers_next(&mn_sched.allp[i]->timers), INT64_MAX, "P%d keeps timers", i);
    }

    atomic_store(&steps, 0);
    mn_procresize(3);
    spawn_all(gs);
    join_all(gs);
    cr_assert_eq(atomic_load(&steps), GS * ROUNDS);
}

static atomic_int spinning;
static atomic_bool stop_spinning;

/* Runs until told, with no scheduling point: its P stays with its M. */
static void *spinner(void *arg)
{
    atomic_fetch_add(&spinning, 1);
    while (!atomic_load(&stop_spinning))
        ;
    return arg;
}

static bool on_idle_list(mn_p *p)
{
    mn_lock_acquire(&mn_sched.lock);
    bool found = false;
    for (mn_p *q = mn_sched.pidle; q; q = q->link)
        found |= q == p;
    mn_lock_release(&mn_sched.lock);
    return found;
}

/* A shrink, then a grow before the busy P beyond the smaller count was
 * given up: it stays with its M, and is not idle too (it was: two Ms
 * then ran it). */
Test(procresize, grow_back_keeps_a_busy_p_with_its_m)
{
    boot(3);
    mn_g *s[2];
    for (int i = 0; i < 2; i++) {
        struct mn_g_spec spec = {.stack_size = 64 * 1024, .guard_size = 4096,
                                 .start = spinner, .arg = (void *)(intptr_t)i};
        cr_assert_eq(mn_g_new(&spec, &s[i]), 0);
        mn_g_run(s[i]);
    }
    while (atomic_load(&spinning) < 2)
        mn_yield();
    /* one spinner holds a P other than P0 */
    mn_m *m = s[0]->m && s[0]->m->p->id > 0 ? s[0]->m : s[1]->m;
    mn_p *p = m->p;
    cr_assert(p->id > 0, "P%d", p->id);
    mn_procresize(p->id);
    mn_procresize(3);
    cr_assert(mn_p_held_by(p, m), "P%d left its M", p->id);
    cr_assert(!on_idle_list(p), "P%d is held by its M and on the idle list", p->id);
    atomic_store(&stop_spinning, true);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(mn_g_join(s[i], NULL, -1, false), 0);
}

Test(procresize, new_ps_allocated_without_a_runtime_lock)
{
    boot(2);
    mn_procresize(5);
    cr_assert_eq(atomic_load(&mn_sched.procs), 5);
    cr_assert(!atomic_load(&allocated_under_lock),
              "a new P was allocated with a runtime lock held");
}
