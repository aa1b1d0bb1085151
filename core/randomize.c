/* Randomized scheduling: see randomize.h. */
#include "core/randomize.h"

#include "core/sched_internal.h"
#include "core/sysmon.h"

bool mn_randomize;
static uint64_t seed_base;

void mn_randomize_start(int64_t seed)
{
    seed_base = (uint64_t)seed;
    mn_randomize = true;
}

/* splitmix64: distinct, well mixed starting states for nearby ids */
uint64_t mn_randomize_seed_m(int id)
{
    uint64_t z = seed_base + (uint64_t)(id + 1) * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z ? z : 1; /* xorshift's state must not be 0 */
}

bool mn_randomize_coin(void)
{
    mn_m *m = mn_current_m();
    return m && (mn_fastrand(m) & 1);
}

/* Only where sysmon could have asked the G to yield (runtime.h,
 * mn_check_preempt): so never before sysmon runs. A G may get here
 * holding glibc's own locks (a program's allocator locking a pthread
 * mutex inside ld.so, while a thread is made), and the yield makes g0
 * ask for an M; with sysmon running g0 leaves making it to sysmon,
 * which waits for such a lock without holding a P; without sysmon, g0
 * would make it itself and wait for that lock forever, with the P the
 * yielding G needs to let go of it (the test malloc_lock_yield hung so
 * in this mode). */
void mn_randomize_yield(void)
{
    mn_g *g = mn_tls_g;
    if (!g || g->m->locks.count != 0 || g->syscall_depth != 0 || mn_sig_in_handler(g) ||
        (mn_fastrand(g->m) & 3) != 0 || !mn_sysmon_running())
        return;
    mn_yield();
}
