/* Backtraces over stack copies with libunwind: see unwind.h. */
#include "core/unwind.h"

#include "compat/raw_syscall.h"
#include "core/lowfd.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define PAGE 4096
#define NPAGES 64 /* the reader's cache: unwind tables, mostly */

static struct {
    unw_addr_space_t as;
    int (*init_remote)(unw_cursor_t *, unw_addr_space_t, void *);
    int (*step)(unw_cursor_t *);
    int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
    int (*is_signal_frame)(unw_cursor_t *);
    void (*flush_cache)(unw_addr_space_t, unw_word_t, unw_word_t);
    const char *why;
} lib;

enum { NOT_LOADED, LOADING, LOADED };
static _Atomic int loaded;

/* ---- the safe reader ---- */

static struct {
    char (*data)[PAGE];
    struct {
        uintptr_t addr; /* 0: empty */
        uint32_t len;   /* readable bytes from addr */
    } *meta;
    pid_t pid;
    int mem_fd;         /* /proc/self/mem, where process_vm_readv is refused */
    bool no_pvr;
} rd = {.mem_fd = -1};

/* Reads n bytes at src into dst, page by page, up to the first page that
 * cannot be read; returns how many were read. */
static size_t read_raw(void *dst, uintptr_t src, size_t n)
{
    pid_t pid = rd.pid ? rd.pid : (pid_t)mn_raw_syscall(SYS_getpid);
    size_t done = 0;
    while (done < n && !rd.no_pvr) {
        struct iovec local = {(char *)dst + done, n - done};
        struct iovec remote[64];
        int k = 0;
        size_t want = 0;
        for (uintptr_t a = src + done; k < 64 && want < n - done; k++) {
            size_t in_page = PAGE - (a & (PAGE - 1));
            size_t len = in_page < n - done - want ? in_page : n - done - want;
            remote[k] = (struct iovec){(void *)a, len};
            a += len;
            want += len;
        }
        local.iov_len = want;
        long got = mn_raw_syscall(SYS_process_vm_readv, pid, &local, 1, remote, k, 0);
        if (got == -ENOSYS || got == -EPERM) {
            rd.no_pvr = true; /* a sandbox: /proc/self/mem below */
            break;
        }
        if (got <= 0)
            return done;
        done += (size_t)got;
        if ((size_t)got < want)
            return done;
    }
    if (done < n && rd.no_pvr) {
        if (rd.mem_fd < 0) /* kept: high, out of the program's reach (core/lowfd.h) */
            rd.mem_fd = mn_lowfd_make_high(SYS_openat, AT_FDCWD, (long)"/proc/self/mem",
                                           O_RDONLY | O_CLOEXEC, 0);
        while (done < n && rd.mem_fd >= 0) {
            long got = mn_raw_syscall(SYS_pread64, rd.mem_fd, (char *)dst + done, n - done,
                                      src + done);
            if (got <= 0)
                break;
            done += (size_t)got;
        }
    }
    return done;
}

size_t mn_safe_copy(void *buf, uintptr_t lo, uintptr_t hi, size_t cap)
{
    size_t n = hi > lo ? hi - lo : 0;
    return read_raw(buf, lo, n < cap ? n : cap);
}

bool mn_safe_read(uintptr_t addr, uint64_t *val)
{
    if (!rd.data || ((addr & (PAGE - 1)) > PAGE - 8))
        return read_raw(val, addr, 8) == 8;
    uintptr_t page = addr & ~(uintptr_t)(PAGE - 1);
    unsigned slot = (unsigned)(page / PAGE) % NPAGES;
    if (rd.meta[slot].addr != page) {
        rd.meta[slot].addr = page;
        rd.meta[slot].len = (uint32_t)read_raw(rd.data[slot], page, PAGE);
    }
    if (addr - page + 8 > rd.meta[slot].len)
        return false;
    memcpy(val, rd.data[slot] + (addr - page), 8);
    return true;
}

void mn_unwind_begin(void *cache_memory)
{
    rd.data = cache_memory;
    rd.meta = (void *)((char *)cache_memory + NPAGES * PAGE);
    memset(rd.meta, 0, NPAGES * sizeof *rd.meta);
    rd.pid = (pid_t)mn_raw_syscall(SYS_getpid); /* the child's own after a fork */
    if (atomic_load_explicit(&loaded, memory_order_acquire) == LOADED && lib.as)
        lib.flush_cache(lib.as, 0, 0); /* code may have been unloaded since */
}

void mn_unwind_end(void)
{
    rd.data = NULL;
    rd.meta = NULL;
    if (rd.mem_fd >= 0)
        mn_raw_syscall(SYS_close, rd.mem_fd);
    rd.mem_fd = -1;
}

/* ---- libunwind's accessors ---- */

struct ctx {
    const struct mn_regs *regs;
    const struct mn_stack_copy *stack;
};

static int acc_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
    (void)as;
    const struct ctx *c = arg;
    const struct mn_stack_copy *s = c->stack;
    if (write)
        return -UNW_EINVAL;
    if (s && addr >= s->lo && addr < s->hi) {
        if (addr + 8 > s->lo + s->len)
            return -UNW_EINVAL; /* not copied: it may have changed since */
        memcpy(val, s->buf + (addr - s->lo), 8);
        return 0;
    }
    uint64_t v;
    if (!mn_safe_read(addr, &v))
        return -UNW_EINVAL;
    *val = v;
    return 0;
}

static int acc_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
    (void)as;
    const struct ctx *c = arg;
    if (write || reg < 0 || reg >= MN_NREGS || !(c->regs->valid & (1u << reg)))
        return -UNW_EBADREG;
    *val = c->regs->r[reg];
    return 0;
}

static int acc_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                     void *arg)
{
    (void)as, (void)reg, (void)val, (void)write, (void)arg;
    return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    (void)as, (void)c, (void)arg;
    return -UNW_EINVAL;
}

static int acc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len, unw_word_t *off,
                    void *arg)
{
    (void)as, (void)ip, (void)buf, (void)len, (void)off, (void)arg;
    return -UNW_ENOINFO; /* symbolize.h names the frames */
}

static const char *load(void)
{
    void *h = dlopen("libunwind-x86_64.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!h)
        return lib.why = "libunwind-x86_64.so.8 (Debian: libunwind8) could not be loaded";
    unw_addr_space_t *local = dlsym(h, "_Ux86_64_local_addr_space");
    unw_accessors_t *(*get_accessors)(unw_addr_space_t) = dlsym(h, "_Ux86_64_get_accessors");
    unw_addr_space_t (*create)(unw_accessors_t *, int) = dlsym(h, "_Ux86_64_create_addr_space");
    int (*caching)(unw_addr_space_t, unw_caching_policy_t) =
        dlsym(h, "_Ux86_64_set_caching_policy");
    lib.init_remote = dlsym(h, "_Ux86_64_init_remote");
    lib.step = dlsym(h, "_Ux86_64_step");
    lib.get_reg = dlsym(h, "_Ux86_64_get_reg");
    lib.is_signal_frame = dlsym(h, "_Ux86_64_is_signal_frame");
    lib.flush_cache = dlsym(h, "_Ux86_64_flush_cache");
    if (!local || !get_accessors || !create || !caching || !lib.init_remote || !lib.step ||
        !lib.get_reg || !lib.is_signal_frame || !lib.flush_cache)
        return lib.why = "libunwind-x86_64.so.8 lacks a function mnrt uses";
    /* the local address space's lookup of unwind tables (dl_iterate_phdr),
     * reading through mnrt's accessors */
    unw_accessors_t a = *get_accessors(*local);
    a.access_mem = acc_mem;
    a.access_reg = acc_reg;
    a.access_fpreg = acc_fpreg;
    a.resume = acc_resume;
    a.get_proc_name = acc_name;
    unw_addr_space_t as = create(&a, 0);
    if (!as)
        return lib.why = "libunwind could not make an address space";
    /* libunwind 1.7+ finds the tables of a space it did not make itself
     * with the function set here: none (a call of NULL) otherwise */
    void (*set_iterate)(unw_addr_space_t, int (*)(int (*)(struct dl_phdr_info *, size_t, void *),
                                                  void *)) =
        dlsym(h, "_Ux86_64_set_iterate_phdr_function");
    if (set_iterate)
        set_iterate(as, dl_iterate_phdr);
    caching(as, UNW_CACHE_GLOBAL);
    lib.as = as;
    lib.why = NULL;
    return NULL;
}

void mn_unwind_load(void)
{
    int not = NOT_LOADED;
    if (atomic_load_explicit(&loaded, memory_order_acquire) != NOT_LOADED ||
        !atomic_compare_exchange_strong(&loaded, &not, LOADING))
        return;
    load();
    atomic_store_explicit(&loaded, LOADED, memory_order_release);
}

const char *mn_unwind_unavailable(void)
{
    int s = atomic_load_explicit(&loaded, memory_order_acquire);
    if (s == NOT_LOADED)
        return "libunwind is loaded with the first thread the program makes";
    return s == LOADING ? "libunwind is being loaded" : lib.why;
}

int mn_unwind(const struct mn_regs *regs, const struct mn_stack_copy *stack, bool exact_first,
              uintptr_t *pcs, int max, uint64_t *exact, const char **why)
{
    *exact = 0;
    *why = NULL;
    if (atomic_load_explicit(&loaded, memory_order_acquire) != LOADED || !lib.as) {
        *why = mn_unwind_unavailable();
        return 0;
    }
    if (!(regs->valid & (1u << MN_REG_RIP)) || !regs->r[MN_REG_RIP])
        return 0;
    struct ctx c = {regs, stack};
    unw_cursor_t cur;
    if (lib.init_remote(&cur, lib.as, &c) < 0) {
        *why = "libunwind refused the saved registers";
        return 0;
    }
    int n = 0;
    bool next_exact = exact_first;
    while (n < max) {
        unw_word_t ip;
        if (lib.get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        pcs[n] = (uintptr_t)ip;
        if (next_exact && n < 64)
            *exact |= 1ull << n;
        n++;
        int r = lib.step(&cur);
        if (r == 0)
            break; /* the outermost frame */
        if (r < 0) {
            *why = "the rest of the stack could not be unwound";
            break;
        }
        /* (libunwind 1.6 knows whether the frame it left was a signal
         * frame only once it stepped off it: the next pc is then the
         * interrupted instruction itself) */
        next_exact = lib.is_signal_frame(&cur) > 0;
    }
    return n;
}
