/* Per-G glibc TCBs: see tcb.h for the contract. The layout facts used here
 * (glibc 2.36, x86-64):
 *   header (x86-64 ABI): tcb 0, dtv 8, self 16, multiple_threads 24,
 *     stack_guard 0x28, pointer_guard 0x30, feature_1 72;
 *   from libthread_db descriptors: sizeof(struct pthread), tid, list,
 *     specific, cancelhandling;
 *   discovered at boot: cleanup_jmp_buf (by __pthread_register_cancel),
 *     cleanup (by _pthread_cleanup_push), the two tls_state buffers (by
 *     strerror/strsignal of unknown numbers), the rseq area (__rseq_offset),
 *     the TLS variables __resp and __libc_dlerror_result (dlvsym), malloc's
 *     per-thread words (by diffing a fresh TCB around its first malloc);
 *   checked at boot on a thread glibc made: `res` (the target of __resp).
 * Anything that does not match makes mn_tcb_boot refuse, saying what.
 *
 * malloc's per-thread words are kept across recycling only when the
 * program's malloc is glibc's. A foreign allocator (jemalloc, tcmalloc,
 * mimalloc: preloaded, linked, or in the executable) replaces malloc for
 * glibc too, so glibc's per-thread cache stays unused; the allocator's own
 * per-thread state is ordinary TLS, each G's own, and its thread-exit
 * cleanup runs from the key destructors at G exit. */
#include "compat/tcb.h"

#include "compat/fsbase.h"
#include "compat/log.h"
#include "compat/raw_syscall.h"

#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MN_VERIFIED_GLIBC "2.36"

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
    RES_OFFSET = 1720,         /* struct pthread.res (checked at boot) */
    RSEQ_CPU_ID = 4,           /* struct rseq.cpu_id */
    MAX_MALLOC_WORDS = 4,
};

/* glibc's dtv entry (elf/dl-tls.h) */
typedef union {
    size_t counter;
    struct {
        void *val;
        void *to_free;
    } pointer;
} mn_dtv_t;

static struct {
    size_t size;               /* sizeof(struct pthread) */
    size_t tid, list, specific, cancelhandling, cleanup, cleanup_jmp_buf;
    size_t strsignal_buf, strerror_buf;
    ptrdiff_t rseq;            /* from the thread pointer */
    ptrdiff_t resp_var;        /* TLS variable __resp */
    ptrdiff_t dlerror_var;     /* TLS variable __libc_dlerror_result */
    ptrdiff_t malloc_words[MAX_MALLOC_WORDS];
    int n_malloc_words;
    bool glibc_malloc;         /* the program's malloc is glibc's */
    size_t static_size;        /* static TLS blocks below the thread pointer */
} L;

static void *(*dl_allocate_tls)(void *);
static char *spare_tcb; /* the TCB used for discovery, handed out first */
static void *(*dl_allocate_tls_init)(void *, _Bool);
static void (*ctype_init)(void);
static void (*call_tls_dtors)(void);

#define AT(tcb, off, type) (*(type *)((char *)(tcb) + (off)))

/* Why mn_tcb_boot refuses (the first reason found), or NULL. */
static const char *refusal;
static char refusal_buf[160];

static void refuse(const char *what)
{
    if (!refusal)
        refusal = what;
}

static void refuse_missing(const char *name)
{
    if (refusal)
        return;
    snprintf(refusal_buf, sizeof refusal_buf, "glibc has no %s", name);
    refusal = refusal_buf;
}

static size_t thread_db_field(const char *name)
{
    const uint32_t *d = dlsym(RTLD_DEFAULT, name);
    if (!d) {
        refuse_missing(name);
        return 0;
    }
    return d[2]; /* {bits, count, offset} */
}

static void *private_sym(const char *name)
{
    void *p = dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE");
    if (!p)
        refuse_missing(name);
    return p;
}

static size_t find_pointer(const void *tcb, const void *value, const char *what)
{
    for (size_t off = 0; off + sizeof(void *) <= L.size; off += sizeof(void *))
        if (AT(tcb, off, const void *) == value)
            return off;
    refuse(what);
    return 0;
}

static void discover_cleanup_fields(char *self)
{
    __pthread_unwind_buf_t ub;
    __pthread_register_cancel(&ub);
    L.cleanup_jmp_buf = find_pointer(self, &ub, "cleanup_jmp_buf");
    __pthread_unregister_cancel(&ub);

    struct _pthread_cleanup_buffer cb;
    _pthread_cleanup_push(&cb, NULL, NULL);
    L.cleanup = find_pointer(self, &cb, "cleanup");
    _pthread_cleanup_pop(&cb, 0);
}

static void discover_tls_state(char *self)
{
    /* Unknown numbers make glibc format into its per-thread buffers. */
    char *e = strerror(1 << 20);
    L.strerror_buf = find_pointer(self, e, "tls_state.strerror_l_buf");
    char *s = strsignal(1 << 20);
    L.strsignal_buf = find_pointer(self, s, "tls_state.strsignal_buf");
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

/* What a new G needs in its TCB besides fresh TLS images (docs/glibc-facts.md §3). */
static void init_per_thread(char *tcb)
{
    AT(tcb, L.specific, void *) = tcb + L.specific - 32 * 16; /* specific_1stblock */
    void **list = &AT(tcb, L.list, void *);
    list[0] = list;                                           /* self-linked */
    list[1] = list;
    AT(tcb, L.cancelhandling, int) = 0;
    AT(tcb, L.cleanup, void *) = NULL;
    AT(tcb, L.cleanup_jmp_buf, void *) = NULL;
    AT(tcb, L.rseq + RSEQ_CPU_ID, int32_t) = -1; /* sched_getcpu: ask the kernel */
    AT(tcb, L.resp_var, void *) = tcb + RES_OFFSET;
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

static void discover_malloc_words(void)
{
    /* A fresh TCB, made current for one malloc on this (still single)
     * thread: the words of static TLS that change are malloc's tcache and
     * arena pointers. */
    char *t = dl_allocate_tls(NULL);
    size_t n = L.static_size / sizeof(uintptr_t);
    uintptr_t *before = malloc(n * sizeof(uintptr_t));
    if (!t || !before) {
        free(before);
        refuse("no memory for a thread descriptor");
        return;
    }
    char *self = mn_thread_pointer();
    init_header(t, self);
    memcpy(before, t - L.static_size, n * sizeof(uintptr_t));
    mn_fsbase_set(t);
    void *volatile p = malloc(32); /* volatile: the pair must not be elided */
    free(p);
    mn_fsbase_set(self);
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
    /* t keeps its cache: it becomes the first recycled TCB. */
    mn_tcb_recycle(t);
    spare_tcb = t;
}

/* `res` has no descriptor: check on a thread that glibc itself made that
 * its __resp points at the expected field and its tid is where we look. */
static void *probe_glibc_thread(void *arg)
{
    char *self = mn_thread_pointer();
    bool *ok = arg;
    *ok = AT(self, L.resp_var, char *) == self + RES_OFFSET &&
          AT(self, L.tid, pid_t) == gettid() &&
          AT(self, HDR_SELF, char *) == self;
    return NULL;
}

static void check_glibc_thread(int (*create)(pthread_t *, const pthread_attr_t *,
                                             void *(*)(void *), void *),
                               int (*join)(pthread_t, void **))
{
    bool ok = false;
    pthread_t t;
    int err = create(&t, NULL, probe_glibc_thread, &ok);
    if (err) {
        snprintf(refusal_buf, sizeof refusal_buf, "cannot create a kernel thread: %s",
                 strerror(err));
        refusal = refusal_buf;
        return;
    }
    join(t, NULL);
    if (!ok)
        refuse("struct pthread.res or tid is not where expected");
}

const char *mn_tcb_boot(int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                                      void *),
                        int (*join)(pthread_t, void **))
{
    if (strcmp(gnu_get_libc_version(), MN_VERIFIED_GLIBC) != 0 &&
        !getenv("MNRT_UNVERIFIED_GLIBC")) {
        snprintf(refusal_buf, sizeof refusal_buf,
                 "glibc %s is not verified (mnrt is, on glibc %s; "
                 "MNRT_UNVERIFIED_GLIBC=1 tries anyway)",
                 gnu_get_libc_version(), MN_VERIFIED_GLIBC);
        return refusal_buf;
    }
    const uint32_t *size = dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
    if (!size)
        return "glibc does not describe struct pthread (_thread_db_sizeof_pthread)";
    L.size = *size;
    L.tid = thread_db_field("_thread_db_pthread_tid");
    L.list = thread_db_field("_thread_db_pthread_list");
    L.specific = thread_db_field("_thread_db_pthread_specific");
    L.cancelhandling = thread_db_field("_thread_db_pthread_cancelhandling");
    if (refusal)
        return refusal;

    char *self = mn_thread_pointer();
    if (L.size < 1024 || L.size > 64 * 1024 || L.tid + sizeof(pid_t) > L.size ||
        L.specific + sizeof(void *) > L.size || L.specific < 32 * 16)
        return "struct pthread's size or fields are not as glibc's descriptors say";
    if (AT(self, HDR_SELF, char *) != self || AT(self, HDR_TCB, char *) != self)
        return "the TCB header is not at the thread pointer";
    if (AT(self, L.tid, pid_t) != getpid())
        return "struct pthread.tid is not where glibc says";
    if (AT(self, L.specific, char *) != self + L.specific - 32 * 16)
        return "struct pthread.specific_1stblock is not where expected";

    const ptrdiff_t *rseq_off = dlsym(RTLD_DEFAULT, "__rseq_offset");
    if (!rseq_off)
        return "glibc has no __rseq_offset";
    L.rseq = *rseq_off;
    char *resp = private_sym("__resp"), *dlerr = private_sym("__libc_dlerror_result");
    void (*static_info)(size_t *, size_t *) = private_sym("_dl_get_tls_static_info");
    dl_allocate_tls = private_sym("_dl_allocate_tls");
    dl_allocate_tls_init = private_sym("_dl_allocate_tls_init");
    ctype_init = private_sym("__ctype_init");
    call_tls_dtors = private_sym("__call_tls_dtors");
    if (refusal)
        return refusal;
    L.resp_var = resp - self;
    L.dlerror_var = dlerr - self;

    size_t static_size, static_align;
    static_info(&static_size, &static_align);
    if (static_size <= L.size)
        return "_dl_get_tls_static_info gives a size smaller than struct pthread";
    L.static_size = (static_size - L.size) & ~(sizeof(uintptr_t) - 1);
    if (-L.resp_var > (ptrdiff_t)L.static_size || -L.dlerror_var > (ptrdiff_t)L.static_size)
        return "glibc's TLS variables are not in static TLS";

    discover_cleanup_fields(self);
    discover_tls_state(self);
    if (refusal)
        return refusal;
    check_glibc_thread(create, join);
    if (refusal)
        return refusal;
    L.glibc_malloc = malloc_is_glibc();
    if (L.glibc_malloc)
        discover_malloc_words();
    return refusal;
}

bool mn_tcb_glibc_malloc(void)
{
    return L.glibc_malloc;
}

void *mn_tcb_create(void)
{
    char *t = spare_tcb;
    if (t) {
        spare_tcb = NULL;
        return t;
    }
    t = dl_allocate_tls(NULL);
    if (!t)
        return NULL;
    init_header(t, mn_thread_pointer());
    init_per_thread(t);
    return t;
}

/* glibc registers struct rseq_area whole (32 bytes, the kernel's minimum),
 * with the x86 signature, and so does this. */
#define RSEQ_AREA_LEN 32
#define RSEQ_SIGNATURE 0x53053053
#define RSEQ_UNREGISTER 1

bool mn_tcb_rseq_move(void *const *from, int nfrom, void *to)
{
    bool dropped = false;
    for (int i = 0; i < nfrom && !dropped; i++)
        dropped = from[i] && mn_raw_syscall(SYS_rseq, (char *)from[i] + L.rseq, RSEQ_AREA_LEN,
                                     RSEQ_UNREGISTER, RSEQ_SIGNATURE) == 0;
    if (!dropped)
        return false;
    AT(to, L.rseq + RSEQ_CPU_ID, int32_t) = -1;
    return mn_raw_syscall(SYS_rseq, (char *)to + L.rseq, RSEQ_AREA_LEN, 0, RSEQ_SIGNATURE) == 0;
}

void mn_tcb_recycle(void *tcb)
{
    char *t = tcb;
    /* dynamic TLS blocks of the finished G (as glibc's stack cache does) */
    mn_dtv_t *dtv = AT(t, HDR_DTV, mn_dtv_t *);
    size_t slots = dtv[-1].counter;
    for (size_t i = 1; i <= slots; i++)
        free(dtv[i].pointer.to_free);
    memset(dtv, 0, (slots + 1) * sizeof(mn_dtv_t));

    uintptr_t keep[MAX_MALLOC_WORDS];
    for (int i = 0; i < L.n_malloc_words; i++)
        keep[i] = AT(t, L.malloc_words[i], uintptr_t);
    dl_allocate_tls_init(t, 1);
    for (int i = 0; i < L.n_malloc_words; i++)
        AT(t, L.malloc_words[i], uintptr_t) = keep[i];
    init_per_thread(t);
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

void mn_tcb_release_on_exit(void)
{
    /* glibc frees a reported dlerror result on the next call: two calls
     * release a pending one (the first reports it, the second frees it). */
    if (AT(mn_thread_pointer(), L.dlerror_var, void *)) {
        dlerror();
        dlerror();
    }
}

