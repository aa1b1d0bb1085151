/* The inbox of signals for sysmon: see siginbox.h. */
#include "core/siginbox.h"

#include "core/testpoint.h"

#include <stdatomic.h>
#include <stdint.h>

#define INBOX 256
#define BIT(sig) (1ull << ((sig) - 1))

enum { FREE, FILLING, FULL };
static struct entry {
    _Atomic uint32_t state;
    int sig;
    mn_g *target;
    bool directed;
    siginfo_t info;
} inbox[INBOX];
static _Atomic uint32_t next;
static _Atomic uint64_t lost; /* found their entry taken: their information is lost */
static atomic_bool dirty;

void mn_siginbox_post(int sig, const siginfo_t *info, mn_g *target, bool directed)
{
    struct entry *e = &inbox[atomic_fetch_add(&next, 1) % INBOX];
    MN_TEST_POINT(MN_TP_SIGINBOX_POST, e);
    uint32_t free = FREE;
    if (atomic_compare_exchange_strong(&e->state, &free, FILLING)) {
        e->sig = sig;
        e->target = target;
        e->directed = directed;
        e->info = *info;
        atomic_store_explicit(&e->state, FULL, memory_order_release);
    } else {
        atomic_fetch_or(&lost, BIT(sig));
    }
    atomic_store(&dirty, true);
    mn_monitor_poke();
}

bool mn_siginbox_due(void)
{
    return atomic_load(&dirty);
}

void mn_siginbox_take(void (*route)(int sig, const siginfo_t *info, mn_g *target,
                                    bool directed))
{
    if (!atomic_exchange(&dirty, false))
        return;
    for (int i = 0; i < INBOX; i++) {
        struct entry *e = &inbox[i];
        if (atomic_load_explicit(&e->state, memory_order_acquire) != FULL)
            continue;
        siginfo_t info = e->info;
        int sig = e->sig;
        mn_g *target = e->target;
        bool directed = e->directed;
        atomic_store(&e->state, FREE);
        route(sig, &info, target, directed);
    }
    uint64_t gone = atomic_exchange(&lost, 0);
    while (gone) {
        int sig = __builtin_ctzll(gone) + 1;
        gone &= gone - 1;
        siginfo_t info = {.si_signo = sig, .si_code = SI_KERNEL};
        route(sig, &info, NULL, false);
    }
}

void mn_siginbox_fork_child(void)
{
    for (int i = 0; i < INBOX; i++)
        atomic_store(&inbox[i].state, FREE);
    atomic_store(&next, 0);
    atomic_store(&lost, 0);
    atomic_store(&dirty, false);
}
