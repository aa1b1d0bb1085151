/* Per-G CPU time: see cputime.h. */
#include "core/cputime.h"

#include "compat/raw_syscall.h"
#include "core/futex.h"
#include "core/kthread.h"

#include <sys/syscall.h>
#include <time.h>

bool mn_cputime_all;

/* The calling kernel thread's CPU time (raw: errno is the G's). */
static int64_t thread_cpu_now(void)
{
    struct timespec ts;
    if (mn_raw_syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return mn_timespec_ns(&ts);
}

static void begin_write(mn_g *g)
{
    atomic_fetch_add_explicit(&g->cpu_seq, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void end_write(mn_g *g)
{
    atomic_fetch_add_explicit(&g->cpu_seq, 1, memory_order_release);
}

void mn_cputime_note_in(mn_g *g)
{
    int64_t now = thread_cpu_now();
    begin_write(g);
    g->cpu_in = now;
    atomic_store_explicit(&g->cpu_since_m, NULL, memory_order_relaxed);
    end_write(g);
}

void mn_cputime_note_out(mn_g *g)
{
    int64_t in = g->cpu_in;
    if (!in && atomic_load_explicit(&g->cpu_since_m, memory_order_acquire) == g->m)
        in = g->cpu_since; /* turned on by another thread while it ran here */
    int64_t now = in ? thread_cpu_now() : 0;
    begin_write(g);
    if (now > in)
        g->cpu_ns += now - in;
    g->cpu_in = 0;
    atomic_store_explicit(&g->cpu_since_m, NULL, memory_order_relaxed);
    end_write(g);
}

void mn_cputime_start(mn_g *g)
{
    if (atomic_load(&g->cpu_on) || atomic_exchange(&g->cpu_on, true))
        return;
    if (g == mn_getg()) {
        mn_cputime_note_in(g);
        return;
    }
    mn_m *m = g->m;
    if (m && atomic_load(&g->status) == MN_G_RUNNING) {
        g->cpu_since = mn_kthread_cpu_ns(m->cpuclock);
        atomic_store_explicit(&g->cpu_since_m, m, memory_order_release);
    }
}

int64_t mn_cputime_self(void)
{
    mn_g *g = mn_getg();
    mn_cputime_start(g);
    /* no switch comes between these (no scheduling point): cpu_in is this
     * M's, and only this G writes it */
    int64_t now = thread_cpu_now();
    if (!g->cpu_in) {
        /* another thread turned the accounting on while this G ran: from
         * the M's clock it noted then (or from now, if it had not yet),
         * as mn_cputime_note_out would count it at the next switch */
        bool noted = atomic_load_explicit(&g->cpu_since_m, memory_order_acquire) == g->m;
        int64_t in = noted ? g->cpu_since : now;
        begin_write(g);
        g->cpu_in = in;
        atomic_store_explicit(&g->cpu_since_m, NULL, memory_order_relaxed);
        end_write(g);
    }
    return g->cpu_ns + (now > g->cpu_in ? now - g->cpu_in : 0);
}

int64_t mn_cputime_of(mn_g *g)
{
    if (!atomic_load(&g->cpu_on))
        return -1;
    for (;;) {
        uint32_t seq = atomic_load_explicit(&g->cpu_seq, memory_order_acquire);
        if (seq & 1)
            continue; /* it is at a switch: a few instructions */
        int64_t ns = g->cpu_ns, in = g->cpu_in, since = g->cpu_since;
        mn_m *m = g->m, *since_m = atomic_load_explicit(&g->cpu_since_m, memory_order_acquire);
        bool alive = mn_g_alive(g);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&g->cpu_seq, memory_order_relaxed) != seq)
            continue;
        if (!alive)
            return -1;
        if (!in && m && since_m == m)
            in = since;
        if (in && m) {
            int64_t now = mn_kthread_cpu_ns(m->cpuclock);
            if (now > in)
                ns += now - in;
        }
        return ns;
    }
}
