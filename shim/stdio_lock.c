/* flockfile, ftrylockfile, funlockfile: a thread that waits for a
 * stream's lock parks (issue 11; docs/design.md §8), where glibc's would
 * hold its kernel thread. glibc's own stdio calls take the same lock
 * inline, so its protocol is kept to the letter (docs/glibc-facts.md §10):
 * the stream's lock is { int lock; int cnt; void *owner; }, owner the
 * holder's thread pointer (a G's own TCB), cnt the holder's levels (glibc
 * 2.33-2.40: 1 when taken once; 2.41+: 0, the levels above the first;
 * which one is probed at boot), lock glibc's low-level lock word (0 free,
 * 1 held, 2 held and maybe waited for: whoever waits stores 2 first, so
 * the holder's unlock wakes).
 *
 * A G waits as a watched wait (core/watch.h): glibc's inline unlock wakes
 * only the kernel's waiters, and sysmon notices the word it released. An
 * unlock here wakes a parked G first, else one in the kernel (a stdio
 * call of another thread, blocked inline). Threads that are no G, and
 * any thread when the running glibc's lock does not behave as described
 * (checked once at boot on a stream of mnrt's own), get glibc's calls. */
#include "shim/pthread_impl.h"

#include "compat/fsbase.h"
#include "compat/raw_syscall.h"
#include "core/config.h"
#include "core/watch.h"

#include <linux/futex.h>
#include <stdio.h>
#include <sys/syscall.h>

struct stream_lock {
    _Atomic uint32_t word;
    int cnt;
    void *owner;
};

static bool usable;
static int once; /* cnt of a stream locked once: 1, or 0 (glibc 2.41+) */

static struct stream_lock *lock_of(FILE *fp)
{
    return (struct stream_lock *)fp->_lock;
}

void mn_stdio_lock_boot(void)
{
    char buf[16];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    if (!f)
        return;
    struct stream_lock *l = lock_of(f);
    void *self = mn_thread_pointer();
    bool ok = l && l->owner == NULL && l->cnt == 0 && atomic_load(&l->word) == 0;
    if (ok) {
        mn_real.flockfile(f);
        once = l->cnt;
        ok = l->owner == self && (once == 0 || once == 1) && atomic_load(&l->word) == 1;
        mn_real.flockfile(f);
        ok = ok && l->owner == self && l->cnt == once + 1 && atomic_load(&l->word) == 1;
        mn_real.funlockfile(f);
        ok = ok && l->owner == self && l->cnt == once;
        mn_real.funlockfile(f);
        ok = ok && l->owner == NULL && l->cnt == 0 && atomic_load(&l->word) == 0;
    }
    fclose(f);
    usable = ok;
    if (!ok && mn_config.debug)
        mn_warn("glibc's stream lock is not the one mnrt knows: threads waiting in "
                "flockfile hold their kernel thread");
}

MN_EXPORT void flockfile(FILE *fp)
{
    if (!usable || !mn_getg()) {
        mn_real.flockfile(fp);
        return;
    }
    struct stream_lock *l = lock_of(fp);
    void *self = mn_thread_pointer();
    if (l->owner == self) {
        l->cnt++;
        return;
    }
    uint32_t zero = 0;
    if (!atomic_compare_exchange_strong(&l->word, &zero, 1))
        while (atomic_exchange(&l->word, 2) != 0)
            mn_watch_wait(&l->word, 2, "stream lock");
    l->owner = self;
    l->cnt = once;
}

MN_EXPORT int ftrylockfile(FILE *fp)
{
    if (!usable || !mn_getg())
        return mn_real.ftrylockfile(fp);
    struct stream_lock *l = lock_of(fp);
    void *self = mn_thread_pointer();
    if (l->owner == self) {
        l->cnt++;
        return 0;
    }
    uint32_t zero = 0;
    if (!atomic_compare_exchange_strong(&l->word, &zero, 1))
        return EBUSY;
    l->owner = self;
    l->cnt = once;
    return 0;
}

MN_EXPORT void funlockfile(FILE *fp)
{
    if (!usable || !mn_getg()) {
        mn_real.funlockfile(fp);
        return;
    }
    struct stream_lock *l = lock_of(fp);
    if (l->cnt != once) {
        l->cnt--;
        return;
    }
    l->cnt = 0;
    l->owner = NULL;
    if (atomic_exchange(&l->word, 0) > 1 && mn_ufutex_wake(&l->word, 1) == 0)
        mn_raw_syscall(SYS_futex, &l->word, FUTEX_WAKE_PRIVATE, 1);
}

/* the names old binaries call */
MN_EXPORT void _IO_flockfile(FILE *fp)
{
    flockfile(fp);
}

MN_EXPORT int _IO_ftrylockfile(FILE *fp)
{
    return ftrylockfile(fp);
}

MN_EXPORT void _IO_funlockfile(FILE *fp)
{
    funlockfile(fp);
}
