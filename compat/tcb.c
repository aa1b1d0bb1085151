/* Per-G glibc TCBs: see tcb.h for the contract. Nothing here is taken
 * from one glibc version: every fact is read from what the running glibc
 * says about itself, or probed and checked, at boot or with the program's
 * first thread (docs/glibc-facts.md §2, §11), and mn_tcb_boot or
 * mn_tcb_threads_begin refuses, naming the field, where one cannot be.
 *   header (x86-64 TLS ABI): tcb 0, self 16 (checked on the main thread),
 *     dtv 8 (checked against libthread_db's descriptor), multiple_threads
 *     24, stack_guard 0x28, pointer_guard 0x30, feature_1 72 (checked on
 *     a thread glibc made, with the first thread: set, or copied from its
 *     creator, as expected);
 *   from libthread_db's descriptors (compat/glibc_syms.h):
 *     sizeof(struct pthread), tid, list, specific, cancelhandling, and
 *     link_map.l_tls_offset (tls_modules.c);
 *   probed on the main thread at boot: the cancellation state and type
 *     bits (compat/cancel_bits.h);
 *   probed on a thread glibc made, with the first thread the program
 *     makes (mn_tcb_threads_begin): `res` (the target of __resp);
 *   discovered at boot: cleanup_jmp_buf (by __pthread_register_cancel),
 *     cleanup (by _pthread_cleanup_push); strerror's and strsignal's
 *     buffers must not be kept in static TLS;
 *   discovered with the first thread: malloc's per-thread words (by
 *     diffing a fresh TCB around its first malloc);
 *   exported where glibc has them: the rseq area (__rseq_offset and
 *     __rseq_size, 2.35+), __libc_single_threaded (2.32+, checked to be
 *     cleared once glibc made a thread).
 *
 * malloc's per-thread words are kept across recycling only when the
 * program's malloc is glibc's. A foreign allocator (jemalloc, tcmalloc,
 * mimalloc: preloaded, linked, or in the executable) replaces malloc for
 * glibc too, so glibc's per-thread cache stays unused; the allocator's own
 * per-thread state is ordinary TLS, each G's own, and its thread-exit
 * cleanup runs from the key destructors at G exit. */
#include "compat/tcb.h"

#include "compat/dtv.h"
#include "compat/fsbase.h"
#include "compat/glibc_keys.h"
#include "compat/glibc_syms.h"
#include "compat/log.h"
#include "compat/raw_syscall.h"
#include "compat/tcache.h"

#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* glibc exports these for pthread_cleanup_push; its header declares them
 * only for code compiled without exceptions. */
extern void __pthread_register_cancel(__pthread_unwind_buf_t *buf);
extern void __pthread_unregister_cancel(__pthread_unwind_buf_t *buf);
extern void _pthread_cleanup_push(struct _pthread_cleanup_buffer *buf, void (*fn)(void *),
                                  void *arg);
extern void _pthread_cleanup_pop(struct _pthread_cleanup_buffer *buf, int execute);

enum {
    HDR_TCB = 0,
    HDR_DTV = 8,
    HDR_SELF = 16,
    HDR_MULTIPLE_THREADS = 24,
    HDR_STACK_GUARD = 0x28,
    HDR_POINTER_GUARD = 0x30,
    HDR_FEATURE_1 = 72,
    FEATURE_1_SHSTK = 2,       /* CET shadow stack on */
    RSEQ_CPU_ID = 4,           /* struct rseq.cpu_id (kernel ABI) */
    RSEQ_MIN_LEN = 32,         /* the kernel's minimum registration */
    KEY_BLOCK = 32 * 16,       /* specific_1stblock, right before specific */
    MAX_MALLOC_WORDS = MN_TCB_MALLOC_WORDS,
};

static struct {
    size_t size;               /* sizeof(struct pthread) */
    size_t tid, list, specific, cancelhandling, cleanup, cleanup_jmp_buf, res;
    size_t strerror_buf, strsignal_buf; /* in struct pthread; 0: not there */
    bool rseq;                 /* glibc gives each thread an rseq area (2.35+) */
    ptrdiff_t rseq_off;        /* from the thread pointer */
    size_t rseq_len;           /* glibc's registration length; 0: none registered */
    ptrdiff_t resp_var;        /* TLS variable __resp */
    ptrdiff_t malloc_words[MAX_MALLOC_WORDS];
    int n_malloc_words;
    bool glibc_malloc;         /* the program's malloc is glibc's */
    const char *single_threaded; /* __libc_single_threaded (2.32+), or NULL */
    bool threads_checked;      /* mn_tcb_threads_begin found res and the rest */
    _Atomic int *nthreads;     /* __nptl_nthreads */
    size_t static_size;        /* static TLS blocks below the thread pointer */
    size_t static_align;       /* the thread pointer's alignment */
} L;

static void *(*dl_allocate_tls)(void *);
static void (*dl_deallocate_tls)(void *, bool);
/* the TCB used for discovery, handed out first (to an M's g0, which
 * mn_tcb_threads_begin may race with) */
static char *_Atomic spare_tcb;
static void (*ctype_init)(void);
static void (*call_tls_dtors)(void);

#define AT(tcb, off, type) (*(type *)((char *)(tcb) + (off)))

/* Why mn_tcb_boot refuses (the first reason found), or NULL. */
static const char *refusal;
static char refusal_buf[200];

__attribute__((format(printf, 1, 2))) static void refuse(const char *fmt, ...)
{
    if (refusal)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(refusal_buf, sizeof refusal_buf, fmt, ap);
    va_end(ap);
    refusal = refusal_buf;
}

/* A field of struct pthread as libthread_db's descriptor
 * _thread_db_pthread_<field> = {bits, count, offset} describes it. */
static size_t pthread_field(const char *field)
{
    char name[64];
    snprintf(name, sizeof name, "_thread_db_pthread_%s", field);
    const uint32_t *d = mn_glibc_data(name);
    if (!d) {
        refuse("glibc does not describe struct pthread.%s (no %s)", field, name);
        return 0;
    }
    uint64_t len = (uint64_t)d[0] / 8 * (d[1] ? d[1] : 1);
    if (d[2] + len > L.size) {
        refuse("struct pthread.%s is outside struct pthread (%s)", field, name);
        return 0;
    }
    return d[2];
}

static void *private_sym(const char *name)
{
    void *p = dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE");
    if (!p)
        refuse("glibc has no %s", name);
    return p;
}

static bool find_pointer(const void *tcb, const void *value, size_t *at)
{
    for (size_t off = 0; off + sizeof(void *) <= L.size; off += sizeof(void *))
        if (AT(tcb, off, const void *) == value) {
            *at = off;
            return true;
        }
    return false;
}

static void discover_cleanup_fields(char *self)
{
    __pthread_unwind_buf_t ub;
    __pthread_register_cancel(&ub);
    if (!find_pointer(self, &ub, &L.cleanup_jmp_buf))
        refuse("cannot find struct pthread.cleanup_jmp_buf");
    __pthread_unregister_cancel(&ub);

    struct _pthread_cleanup_buffer cb;
    _pthread_cleanup_push(&cb, NULL, NULL);
    if (!find_pointer(self, &cb, &L.cleanup))
        refuse("cannot find struct pthread.cleanup");
    _pthread_cleanup_pop(&cb, 0);
}

/* strerror's and strsignal's buffers for unknown numbers: glibc mallocs
 * them per thread, in struct pthread (2.32+: tls_state), where glibc's
 * thread exit frees them, and so does a G's (mn_tcb_free_on_exit); or
 * behind a key of glibc's (2.31's strsignal: compat/glibc_keys.h), or
 * once per process (2.31's strerror). Kept in static TLS, a buffer would
 * be lost when a TCB's TLS images are made anew: refused. Found by
 * address, outside the key values kept in the TCB (specific_1stblock);
 * *at: its offset in struct pthread, 0 if it is not there. */
static void find_format_buffer(const char *self, const char *buf, const char *what, size_t *at)
{
    const char *tls = self - L.static_size;
    for (size_t off = 0; off + sizeof(void *) <= L.static_size; off += sizeof(void *))
        if (AT(tls, off, const char *) == buf)
            refuse("glibc keeps %s's buffer in static TLS", what);
    *at = 0;
    for (size_t off = 0; off + sizeof(void *) <= L.size; off += sizeof(void *))
        if ((off < L.specific - KEY_BLOCK || off >= L.specific) &&
            AT(self, off, const char *) == buf)
            *at = off;
}

static void find_format_buffers(const char *self)
{
    /* Unknown numbers make glibc format into its buffers. */
    find_format_buffer(self, strerror(1 << 20), "strerror", &L.strerror_buf);
    find_format_buffer(self, strsignal(1 << 20), "strsignal", &L.strsignal_buf);
}

static void init_header(char *tcb, const char *from)
{
    AT(tcb, HDR_TCB, void *) = tcb;
    AT(tcb, HDR_SELF, void *) = tcb;
    AT(tcb, HDR_MULTIPLE_THREADS, int) = 1;
    AT(tcb, HDR_STACK_GUARD, uintptr_t) = AT(from, HDR_STACK_GUARD, uintptr_t);
    AT(tcb, HDR_POINTER_GUARD, uintptr_t) = AT(from, HDR_POINTER_GUARD, uintptr_t);
    AT(tcb, HDR_FEATURE_1, unsigned) = AT(from, HDR_FEATURE_1, unsigned);
}

/* What a new TCB needs besides fresh TLS images (docs/glibc-facts.md §3).
 * __resp is left at its image's value (glibc's global _res, as on the
 * main thread) until remake_tls: a g0's TCB may be made before `res` is
 * known (mn_tcb_threads_begin), and no g0 asks the resolver. */
static void init_per_thread(char *tcb)
{
    AT(tcb, L.specific, void *) = tcb + L.specific - KEY_BLOCK; /* specific_1stblock */
    void **list = &AT(tcb, L.list, void *);
    list[0] = list;                                             /* self-linked */
    list[1] = list;
    AT(tcb, L.cancelhandling, int) = 0;
    AT(tcb, L.cleanup, void *) = NULL;
    AT(tcb, L.cleanup_jmp_buf, void *) = NULL;
    if (L.rseq)
        AT(tcb, L.rseq_off + RSEQ_CPU_ID, int32_t) = -1; /* sched_getcpu: ask the kernel */
}

/* Static TLS images and a dtv made anew for t by glibc, exactly as for a
 * thread it makes on memory it reuses (_dl_allocate_tls passes its own
 * version's flag: compat/dtv.h), malloc's words kept, __resp at t's own
 * resolver state. The new dtv is glibc's, in the header; on failure (no
 * memory) t is as it was. Only after mn_tcb_threads_begin found `res`. */
static bool remake_tls(char *t)
{
    uintptr_t keep[MAX_MALLOC_WORDS];
    for (int i = 0; i < L.n_malloc_words; i++)
        keep[i] = AT(t, L.malloc_words[i], uintptr_t);
    if (!dl_allocate_tls(t))
        return false;
    for (int i = 0; i < L.n_malloc_words; i++)
        AT(t, L.malloc_words[i], uintptr_t) = keep[i];
    init_per_thread(t);
    AT(t, L.resp_var, void *) = t + L.res;
    return true;
}

/* Whether the malloc the program (and glibc itself) calls is glibc's. */
static bool malloc_is_glibc(void)
{
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void *own = libc ? dlsym(libc, "malloc") : NULL;
    if (libc)
        dlclose(libc);
    return own && own == dlsym(RTLD_DEFAULT, "malloc");
}

/* Returns 0, or ENOMEM (nothing learned: to be tried again). */
static int discover_malloc_words(void)
{
    /* A fresh TCB, made current for one malloc on this thread: the words
     * of static TLS that change are malloc's tcache and arena pointers
     * (glibc counts more than one thread by now: a fresh TCB in a process
     * glibc believes single-threaded would take no arena). */
    char *t = dl_allocate_tls(NULL);
    size_t n = L.static_size / sizeof(uintptr_t);
    L.n_malloc_words = 0; /* again in a fork's child (mn_threads_fork_child) */
    uintptr_t *before = malloc(n * sizeof(uintptr_t));
    if (!t || !before) {
        free(before);
        if (t)
            dl_deallocate_tls(t, true);
        return ENOMEM;
    }
    char *self = mn_thread_pointer();
    init_header(t, self);
    memcpy(before, t - L.static_size, n * sizeof(uintptr_t));
    /* no handler may run on t: the caller is a G or some thread the
     * program runs, with handlers installed */
    sigset_t all, old;
    sigfillset(&all);
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(uint64_t));
    mn_fsbase_set(t);
    void *volatile p = malloc(32); /* volatile: the pair must not be elided */
    free(p);
    mn_fsbase_set(self);
    mn_raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(uint64_t));
    const uintptr_t *after = (const uintptr_t *)(t - L.static_size);
    for (size_t i = 0; i < n; i++) {
        if (after[i] == before[i])
            continue;
        if (L.n_malloc_words == MAX_MALLOC_WORDS) {
            refuse("glibc's malloc keeps more per-thread state than expected");
            break;
        }
        L.malloc_words[L.n_malloc_words++] =
            -(ptrdiff_t)L.static_size + (ptrdiff_t)(i * sizeof(uintptr_t));
    }
    free(before);
    if (L.n_malloc_words == 0)
        refuse("cannot find glibc's per-thread malloc cache");
    mn_tcache_learn(t, L.malloc_words, L.n_malloc_words, p, 32);
    /* t keeps its cache, fresh otherwise: the first TCB handed out */
    mn_dtv_t *dtv = AT(t, HDR_DTV, mn_dtv_t *);
    if (!remake_tls(t))
        return ENOMEM; /* (t and its cache are lost) */
    free(&dtv[-1]); /* the old dtv: glibc callocs it with its length first */
    atomic_store(&spare_tcb, t);
    return 0;
}

/* What a thread glibc made finds in its own descriptor. */
struct probe {
    const char *main_tcb;
    bool header, tid;
    ptrdiff_t res;             /* __resp's target from the thread pointer */
    int multiple_threads;
    bool guards;               /* stack/pointer guards and CET state copied */
};

static void *probe_glibc_thread(void *arg)
{
    struct probe *p = arg;
    char *self = mn_thread_pointer();
    p->header = AT(self, HDR_SELF, char *) == self && AT(self, HDR_TCB, char *) == self;
    p->tid = AT(self, L.tid, pid_t) == (pid_t)mn_raw_syscall(SYS_gettid);
    p->res = AT(self, L.resp_var, char *) - self;
    p->multiple_threads = AT(self, HDR_MULTIPLE_THREADS, int);
    const char *m = p->main_tcb;
    p->guards = AT(self, HDR_STACK_GUARD, uintptr_t) == AT(m, HDR_STACK_GUARD, uintptr_t) &&
                AT(self, HDR_POINTER_GUARD, uintptr_t) == AT(m, HDR_POINTER_GUARD, uintptr_t) &&
                AT(self, HDR_FEATURE_1, unsigned) == AT(m, HDR_FEATURE_1, unsigned) &&
                AT(self, HDR_STACK_GUARD, uintptr_t) && AT(self, HDR_POINTER_GUARD, uintptr_t);
    return NULL;
}

/* The bits glibc's pthread_setcancelstate and pthread_setcanceltype change
 * in the calling thread's cancelhandling word, each set and put back. */
static void check_cancel_bits(char *self)
{
    volatile int *ch = &AT(self, L.cancelhandling, int);
    int was = *ch, old;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    int disabled_bits = *ch ^ was;
    pthread_setcancelstate(old, &old);
    was = *ch;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
    int async_bits = *ch ^ was;
    pthread_setcanceltype(old, &old);
    if (disabled_bits != MN_CANCEL_DISABLED || async_bits != MN_CANCEL_ASYNC)
        refuse("struct pthread.cancelhandling's state and type bits are not as expected "
               "(0x%x and 0x%x)", disabled_bits, async_bits);
}

/* The fields without a descriptor, and the header, on a thread glibc made
 * itself with its real pthread_create. */
static int check_glibc_thread(int (*create)(pthread_t *, const pthread_attr_t *,
                                            void *(*)(void *), void *),
                              int (*join)(pthread_t, void **))
{
    struct probe p = {.main_tcb = mn_thread_pointer()};
    pthread_t t;
    int err = create(&t, NULL, probe_glibc_thread, &p);
    if (err)
        return err;
    /* glibc's join is a cancellation point, acting on the caller's TCB: a
     * cancellation pending for the program's thread must not act inside
     * its pthread_create, which is none */
    int cancel;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
    join(t, NULL);
    pthread_setcancelstate(cancel, &cancel);
    if (!p.header)
        refuse("a thread's TCB header is not at its thread pointer");
    if (!p.tid)
        refuse("struct pthread.tid does not hold the kernel's thread id");
    if (p.res < 0 || (size_t)p.res + sizeof(struct __res_state) > L.size)
        refuse("__resp does not point into struct pthread (its res field)");
    L.res = (size_t)p.res;
    if (p.multiple_threads != 1)
        refuse("the TCB header's multiple_threads is not at offset %d", HDR_MULTIPLE_THREADS);
    if (!p.guards)
        refuse("the TCB header's stack guard, pointer guard or CET word is not as expected");
    if (L.single_threaded && *L.single_threaded)
        refuse("__libc_single_threaded is still set with two threads");
    return 0;
}

/* The rseq area glibc gives each thread (2.35+), where it says it is. */
static void read_rseq(const char *self)
{
    const ptrdiff_t *off = mn_glibc_data("__rseq_offset");
    const unsigned *size = mn_glibc_data("__rseq_size");
    if (!off && !size)
        return; /* before 2.35: glibc registers none */
    if (!off || !size) {
        refuse("glibc has %s but not %s", off ? "__rseq_offset" : "__rseq_size",
               off ? "__rseq_size" : "__rseq_offset");
        return;
    }
    L.rseq = true;
    L.rseq_off = *off;
    L.rseq_len = *size == 0 ? 0 : *size < RSEQ_MIN_LEN ? RSEQ_MIN_LEN : *size;
    bool inside = L.rseq_off >= 0 ? (size_t)L.rseq_off + RSEQ_MIN_LEN <= L.size
                                  : (size_t)-L.rseq_off <= L.static_size;
    if (!inside)
        refuse("the rseq area (__rseq_offset %td) is outside the TCB", L.rseq_off);
    else if (L.rseq_len && AT(self, L.rseq_off + RSEQ_CPU_ID, int32_t) < 0)
        refuse("the rseq area is not where __rseq_offset says (no cpu_id from the kernel)");
}

const char *mn_tcb_boot(void)
{
    const uint32_t *size = mn_glibc_data("_thread_db_sizeof_pthread");
    if (!size)
        return "glibc does not describe struct pthread (no _thread_db_sizeof_pthread)";
    L.size = *size;
    if (L.size < 1024 || L.size > 64 * 1024)
        return "struct pthread's size (_thread_db_sizeof_pthread) is not plausible";
    L.tid = pthread_field("tid");
    L.list = pthread_field("list");
    L.specific = pthread_field("specific");
    L.cancelhandling = pthread_field("cancelhandling");
    size_t dtv = pthread_field("dtvp");
    if (refusal)
        return refusal;

    char *self = mn_thread_pointer();
    if (AT(self, HDR_SELF, char *) != self || AT(self, HDR_TCB, char *) != self)
        return "the TCB header is not at the thread pointer";
    if (dtv != HDR_DTV)
        return "the TCB header's dtv is not where glibc says (_thread_db_pthread_dtvp)";
    if (AT(self, HDR_FEATURE_1, unsigned) & FEATURE_1_SHSTK)
        return "CET shadow stacks are on (mnrt's thread switches cannot follow them)";
    if (AT(self, L.tid, pid_t) != getpid())
        return "struct pthread.tid does not hold the main thread's id";
    if (L.specific < KEY_BLOCK || AT(self, L.specific, char *) != self + L.specific - KEY_BLOCK)
        return "struct pthread.specific_1stblock is not right before specific";

    char *resp = private_sym("__resp");
    void (*static_info)(size_t *, size_t *) = private_sym("_dl_get_tls_static_info");
    dl_allocate_tls = private_sym("_dl_allocate_tls");
    dl_deallocate_tls = private_sym("_dl_deallocate_tls");
    ctype_init = private_sym("__ctype_init");
    call_tls_dtors = private_sym("__call_tls_dtors");
    if (refusal)
        return refusal;
    L.resp_var = resp - self;

    size_t static_size, static_align;
    static_info(&static_size, &static_align);
    if (static_size <= L.size)
        return "_dl_get_tls_static_info gives a size smaller than struct pthread";
    L.static_size = (static_size - L.size) & ~(sizeof(uintptr_t) - 1);
    L.static_align = static_align;
    if (-L.resp_var > (ptrdiff_t)L.static_size || L.resp_var >= 0)
        return "glibc's TLS variable __resp is not in static TLS";

    L.nthreads = (_Atomic int *)mn_glibc_data("__nptl_nthreads");
    L.single_threaded = mn_glibc_data("__libc_single_threaded"); /* read at the first thread */
    read_rseq(self);
    discover_cleanup_fields(self);
    find_format_buffers(self);
    check_cancel_bits(self);
    if (refusal)
        return refusal;
    const char *keys = mn_glibc_keys_boot();
    if (keys)
        return keys;
    L.glibc_malloc = malloc_is_glibc();
    mn_dtv_note_modules();
    return refusal;
}

const char *mn_tcb_threads_begin(int (*create)(pthread_t *, const pthread_attr_t *,
                                               void *(*)(void *), void *),
                                 int (*join)(pthread_t, void **), void *main_tcb, int *err)
{
    *err = check_glibc_thread(create, join);
    if (!*err && !refusal && L.glibc_malloc)
        *err = discover_malloc_words();
    if (refusal) /* for good, whatever else failed */
        *err = 0;
    if (*err)
        return NULL;
    /* glibc marks the TCB of the thread that made its first thread; the
     * main G's must say so whoever that was (malloc's atomics read it) */
    if (!refusal)
        AT(main_tcb, HDR_MULTIPLE_THREADS, int) = 1;
    L.threads_checked = !refusal;
    return refusal;
}

const char *mn_tcb_describe(void)
{
    static char d[384];
    int n = snprintf(d, sizeof d,
                     "glibc %s: struct pthread %zu bytes: tid +%zu, list +%zu, specific +%zu, "
                     "cancelhandling +%zu, cleanup +%zu, cleanup_jmp_buf +%zu, "
                     "strerror/strsignal buffers +%zu/+%zu (0: not there); ",
                     gnu_get_libc_version(), L.size, L.tid, L.list, L.specific,
                     L.cancelhandling, L.cleanup, L.cleanup_jmp_buf, L.strerror_buf,
                     L.strsignal_buf);
    if (L.rseq)
        n += snprintf(d + n, sizeof d - n, "rseq area %+td (%zu bytes registered); ",
                      L.rseq_off, L.rseq_len);
    else
        n += snprintf(d + n, sizeof d - n, "no rseq area; ");
    if (L.threads_checked)
        snprintf(d + n, sizeof d - n, "res +%zu, %d malloc words in static TLS", L.res,
                 L.n_malloc_words);
    else
        snprintf(d + n, sizeof d - n, "res and malloc's words: with the first thread");
    return d;
}

bool mn_tcb_glibc_malloc(void)
{
    return L.glibc_malloc;
}

_Atomic int *mn_tcb_glibc_nthreads(void)
{
    return L.nthreads;
}

void *mn_tcb_create(void)
{
    char *t = atomic_exchange(&spare_tcb, NULL);
    if (t)
        return t;
    t = dl_allocate_tls(NULL);
    if (!t)
        return NULL;
    init_header(t, mn_thread_pointer());
    init_per_thread(t);
    return t;
}

void mn_tcb_destroy(void *tcb)
{
    dl_deallocate_tls(tcb, true); /* its dtv, then the block it came in */
}

/* glibc registers its threads' rseq areas with __rseq_size, at least the
 * kernel's minimum, and the x86 signature; so does this. */
#define RSEQ_SIGNATURE 0x53053053
#define RSEQ_UNREGISTER 1

bool mn_tcb_rseq_move(void *const *from, int nfrom, void *to)
{
    if (!L.rseq_len)
        return false;
    bool dropped = false;
    for (int i = 0; i < nfrom && !dropped; i++)
        dropped = from[i] && mn_raw_syscall(SYS_rseq, (char *)from[i] + L.rseq_off, L.rseq_len,
                                            RSEQ_UNREGISTER, RSEQ_SIGNATURE) == 0;
    if (!dropped)
        return false;
    AT(to, L.rseq_off + RSEQ_CPU_ID, int32_t) = -1;
    return mn_raw_syscall(SYS_rseq, (char *)to + L.rseq_off, L.rseq_len, 0, RSEQ_SIGNATURE) == 0;
}

void mn_tcb_extent(size_t *below, size_t *above, size_t *align)
{
    *below = L.static_size;
    *above = L.size;
    *align = L.static_align;
}

/* remake_tls for a TCB whose dtv is its own (mn_tcb_create_at): glibc's
 * new dtv moves into it. */
static bool remake_own_tls(char *t)
{
    mn_dtv_t *own = AT(t, HDR_DTV, mn_dtv_t *);
    if (!remake_tls(t))
        return false;
    mn_dtv_adopt(own, AT(t, HDR_DTV, mn_dtv_t *));
    AT(t, HDR_DTV, mn_dtv_t *) = own;
    return true;
}

void *mn_tcb_create_at(void *tp, void *dtv_mem, size_t slots)
{
    char *t = tp;
    if (!mn_dtv_fits(slots))
        return NULL;
    AT(t, HDR_DTV, mn_dtv_t *) = mn_dtv_prepare(dtv_mem, slots);
    init_header(t, mn_thread_pointer());
    return remake_own_tls(t) ? t : NULL;
}

bool mn_tcb_recycle(void *tcb)
{
    char *t = tcb;
    /* dynamic TLS blocks of a G that did not end (a fork's vanished
     * ones); mn_tcb_free_on_exit gave back those of a G that ended */
    mn_dtv_free_blocks(AT(t, HDR_DTV, mn_dtv_t *));
    return remake_own_tls(t);
}

void mn_tcb_set_tid(void *tcb, pid_t tid)
{
    AT(tcb, L.tid, pid_t) = tid;
}

pid_t mn_tcb_tid(const void *tcb)
{
    return AT(tcb, L.tid, pid_t);
}

void *mn_tcb_tls_slot(void *tcb, const void *var)
{
    return (char *)tcb + ((const char *)var - (const char *)mn_thread_pointer());
}

_Atomic int *mn_tcb_cancelhandling(void *tcb)
{
    return &AT(tcb, L.cancelhandling, _Atomic int);
}

void mn_tcb_set_cleanup_jmp_buf(void *tcb, void *buf)
{
    AT(tcb, L.cleanup_jmp_buf, void *) = buf;
}

void mn_tcb_on_start(void)
{
    ctype_init(); /* without it isalpha() & co. crash (docs/glibc-facts.md §3) */
}

void mn_tcb_run_tls_dtors(void)
{
    call_tls_dtors();
}

void mn_tcb_free_on_exit(void)
{
    char *t = mn_thread_pointer();
    mn_glibc_keys_free(t);
    if (L.strerror_buf) {
        free(AT(t, L.strerror_buf, void *));
        AT(t, L.strerror_buf, void *) = NULL;
    }
    if (L.strsignal_buf) {
        free(AT(t, L.strsignal_buf, void *));
        AT(t, L.strsignal_buf, void *) = NULL;
    }
    mn_dtv_free_blocks(AT(t, HDR_DTV, mn_dtv_t *));
}

int mn_tcb_malloc_take(void *tcb, uintptr_t words[MN_TCB_MALLOC_WORDS])
{
    int held = 0;
    for (int i = 0; i < L.n_malloc_words; i++) {
        words[i] = AT(tcb, L.malloc_words[i], uintptr_t);
        AT(tcb, L.malloc_words[i], uintptr_t) = 0;
        held += words[i] != 0;
    }
    return held;
}

void mn_tcb_malloc_give(void *tcb, const uintptr_t words[MN_TCB_MALLOC_WORDS])
{
    for (int i = 0; i < L.n_malloc_words; i++)
        AT(tcb, L.malloc_words[i], uintptr_t) = words[i];
}

void mn_tcb_release_on_exit(void)
{
    /* glibc frees a reported dlerror result on the next call: two calls
     * release a pending one (the first reports it, the second frees it;
     * with none pending, each returns NULL at once). */
    dlerror();
    dlerror();
}

