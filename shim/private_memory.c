/* Whether a futex word lives in memory no other process can map
 * (futex_syscall.c): then even a futex the program calls shared
 * (libstdc++ 12's C++20 waits use FUTEX_WAIT without the private flag)
 * can only be woken from this process, and a G may park on it.
 *
 * The answer comes from the calling G's own stack (when mnrt mapped it),
 * or from the private
 * mappings listed in /proc/self/maps at the last look, kept as a sorted
 * array of ranges and read again when a word is in none of them. Shared
 * memory appears only through mmap with MAP_SHARED, mremap and shmat, all
 * interposed here (and the same by number through syscall(),
 * mn_memory_mapped): each makes the next question read the maps again
 * (glibc's own mappings, malloc's and the loader's, are private).
 *
 * Invariants: `ranges` is replaced whole under `mn_private_memory_lock`, and read only
 * under it; the maps are read with no lock held. */
#include "shim/pthread_impl.h"

#include "shim/sys.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>

struct range {
    uintptr_t lo, hi;
};

struct table {
    size_t n, cap;
    struct range r[];
};

mn_lock mn_private_memory_lock = MN_LOCK_INIT(PRIVATE_MEMORY);
static struct table *ranges;
static _Atomic uint64_t changes; /* shared mappings made: bumped by mmap & co */
static uint64_t ranges_changes;  /* `changes` when ranges was read */

static size_t table_bytes(size_t cap)
{
    return sizeof(struct table) + cap * sizeof(struct range);
}

static struct table *table_new(size_t cap)
{
    void *p = (void *)MN_SYS(SYS_mmap, NULL, table_bytes(cap), PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    struct table *t = p;
    t->n = 0;
    t->cap = cap;
    return t;
}

static void table_free(struct table *t)
{
    if (t)
        MN_SYS(SYS_munmap, t, table_bytes(t->cap));
}

/* Adds [lo, hi) to *tp, growing it; false when out of memory. */
static bool table_add(struct table **tp, uintptr_t lo, uintptr_t hi)
{
    struct table *t = *tp;
    if (t->n > 0 && t->r[t->n - 1].hi == lo) { /* adjacent: one range */
        t->r[t->n - 1].hi = hi;
        return true;
    }
    if (t->n == t->cap) {
        struct table *bigger = table_new(t->cap * 2);
        if (!bigger)
            return false;
        memcpy(bigger->r, t->r, t->n * sizeof(struct range));
        bigger->n = t->n;
        table_free(t);
        *tp = t = bigger;
    }
    t->r[t->n++] = (struct range){lo, hi};
    return true;
}

/* One line of the maps: "lo-hi perms ...": its private ranges. */
static bool add_line(struct table **tp, const char *line)
{
    char *end;
    uintptr_t lo = strtoul(line, &end, 16);
    if (*end != '-')
        return true;
    uintptr_t hi = strtoul(end + 1, &end, 16);
    if (*end != ' ' || end[4] != 'p') /* "rw-p": private; "rw-s": shared */
        return true;
    return table_add(tp, lo, hi);
}

/* The private mappings now, in address order (the maps' order). */
static struct table *read_maps(void)
{
    int fd = (int)MN_SYS(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct table *t = table_new(256);
    char buf[4096], line[512];
    size_t len = 0;
    ssize_t n;
    bool ok = t != NULL;
    while (ok && (n = MN_SYS(SYS_read, fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n && ok; i++) {
            if (buf[i] != '\n') {
                if (len < sizeof line - 1)
                    line[len++] = buf[i];
                continue;
            }
            line[len] = 0;
            len = 0;
            ok = add_line(&t, line);
        }
    }
    MN_SYS(SYS_close, fd);
    if (!ok || n < 0) {
        table_free(t);
        return NULL;
    }
    return t;
}

static bool in_table(const struct table *t, uintptr_t a)
{
    size_t lo = 0, hi = t ? t->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a < t->r[mid].lo)
            hi = mid;
        else if (a >= t->r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

static bool known_private(uintptr_t a)
{
    mn_lock_acquire(&mn_private_memory_lock);
    bool yes = ranges_changes == atomic_load(&changes) && in_table(ranges, a);
    mn_lock_release(&mn_private_memory_lock);
    return yes;
}

bool mn_memory_private(const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    mn_g *g = mn_getg();
    if (g && g->stack.owned && a >= (uintptr_t)g->stack.lo &&
        a < (uintptr_t)g->stack.lo + g->stack.size)
        return true; /* a stack mnrt mapped, private */
    if (known_private(a))
        return true;
    uint64_t seen = atomic_load(&changes);
    struct table *fresh = read_maps();
    if (!fresh)
        return false;
    bool yes = in_table(fresh, a);
    mn_lock_acquire(&mn_private_memory_lock);
    struct table *old = ranges;
    ranges = fresh;
    ranges_changes = seen;
    mn_lock_release(&mn_private_memory_lock);
    table_free(old);
    return yes;
}

static void maps_changed(void)
{
    atomic_fetch_add(&changes, 1);
}

void mn_memory_mapped(long n, const long a[6], long r)
{
    bool shared = (n == SYS_mmap && (a[3] & MAP_TYPE) != MAP_PRIVATE) || n == SYS_mremap ||
                  n == SYS_shmat;
    if (shared && r != -1)
        maps_changed();
}

MN_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    void *p = (void *)MN_SYS(SYS_mmap, addr, len, prot, flags, fd, off);
    if (p != MAP_FAILED && (flags & MAP_TYPE) != MAP_PRIVATE)
        maps_changed();
    return p;
}

MN_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

MN_EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    void *want = (flags & MREMAP_FIXED) ? va_arg(ap, void *) : NULL;
    va_end(ap);
    void *p = (void *)MN_SYS(SYS_mremap, old, old_len, new_len, flags, want);
    if (p != MAP_FAILED)
        maps_changed();
    return p;
}

MN_EXPORT void *shmat(int id, const void *addr, int flags)
{
    void *p = (void *)MN_SYS(SYS_shmat, id, addr, flags);
    if (p != (void *)-1)
        maps_changed();
    return p;
}
