/* The recording netpoller backend: see fake_poller.h. */
#include "fake_poller.h"

#include "compat/log.h"
#include "core/kthread.h"

#include <string.h>

struct fake_poller fake = {.arm_ok = true};

void fake_reset(void)
{
    memset(&fake, 0, sizeof fake);
    fake.arm_ok = true;
}

int fake_arms_of(uint32_t index, uint32_t gen, int dir)
{
    int n = 0;
    for (int i = 0; i < atomic_load(&fake.arms) && i < FAKE_LOG; i++)
        n += fake.arm_log[i].index == index && fake.arm_log[i].gen == gen &&
             fake.arm_log[i].dir == dir;
    return n;
}

static int fake_init(void)
{
    return 0;
}

static bool fake_arm(struct mn_pollfd *pd, int dir)
{
    int i = atomic_load(&fake.arms);
    if (i >= FAKE_LOG)
        mn_fatal("fake poller: more than %d arms", FAKE_LOG);
    fake.arm_log[i] = (struct fake_arm){pd->index, pd->gen, dir, atomic_load(&pd->fd)};
    atomic_store(&fake.arms, i + 1);
    pd->owner[dir] = mn_kthread_self();
    return fake.arm_ok;
}

static bool fake_disarm(struct mn_pollfd *pd)
{
    atomic_fetch_add(&fake.disarms, 1);
    return fake.disarm_pending && (pd->armed[MN_DIR_READ] || pd->armed[MN_DIR_WRITE]);
}

static void fake_settle(const pid_t owners[MN_POLL_OWNERS])
{
    for (int i = 0; i < MN_POLL_OWNERS; i++)
        fake.settled[i] = owners[i];
    atomic_fetch_add(&fake.settles, 1);
}

static void fake_adopt(struct mn_pollfd *pd, int dir)
{
    if (!fake.adopt_moves || pd->retiring[dir])
        return;
    pd->retiring_owner[dir] = pd->owner[dir];
    pd->retiring[dir] = true;
    pd->slot[dir] = (uint8_t)!pd->slot[dir];
    pd->owner[dir] = mn_kthread_self();
    atomic_fetch_add(&fake.moves, 1);
}

static void fake_wait(int64_t timeout_ns, uint64_t sigmask)
{
    (void)timeout_ns, (void)sigmask;
}

static bool fake_poll_now(void)
{
    return false;
}

static void fake_nothing(void)
{
}

static const struct mn_poller fake_ops = {
    .name = "fake",
    .init = fake_init,
    .arm = fake_arm,
    .disarm = fake_disarm,
    .settle = fake_settle,
    .adopt = fake_adopt,
    .wait = fake_wait,
    .poll_now = fake_poll_now,
    .wake = fake_nothing,
    .forget = fake_nothing,
};

const struct mn_poller *mn_poller_get(void)
{
    return &fake_ops;
}
