/* What a thread can learn about itself. pthread_getattr_np reports the
 * thread's real stack: a local variable lies inside [stackaddr,
 * stackaddr + stacksize), the size is what pthread_attr_setstacksize asked
 * for (page multiples here) or the default, the guard is what was asked
 * for, and a stack the caller provided with pthread_attr_setstack is
 * reported exactly as given and is really the one in use; the same answer
 * comes from inside the thread and from another thread; the detach state
 * follows pthread_detach. Garbage collectors and stack-scanning runtimes
 * (Boehm GC, JVMs, Go's cgo) read these values, so they must describe the
 * G's own stack, not the kernel thread's (docs/design.md §10); the main thread's
 * too. Also thread names
 * (pthread_setname_np/getname_np round trips, a new thread starting with
 * its creator's name, ERANGE for names over 15 bytes and buffers under 16)
 * and sched_getcpu, which must return a CPU of the affinity mask in every
 * thread (docs/glibc-facts.md §3: a G's rseq area must not make it return garbage). */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define CPU_THREADS 64
#define USER_STACK (512 * 1024)

struct stack_view {
    void *addr;
    size_t size, guard;
    int detach;
};

static void view_of(pthread_t t, struct stack_view *v)
{
    pthread_attr_t a;
    CHECK_ERR(pthread_getattr_np(t, &a), 0);
    CHECK_ERR(pthread_attr_getstack(&a, &v->addr, &v->size), 0);
    CHECK_ERR(pthread_attr_getguardsize(&a, &v->guard), 0);
    CHECK_ERR(pthread_attr_getdetachstate(&a, &v->detach), 0);
    CHECK_ERR(pthread_attr_destroy(&a), 0);
}

static int inside(const void *p, const struct stack_view *v)
{
    return (const char *)p >= (const char *)v->addr &&
           (const char *)p < (const char *)v->addr + v->size;
}

/* --- stacks --- */

struct stack_case {
    struct stack_view self;
    int local_inside;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int ready, done;
};

static void *stack_reporter(void *arg)
{
    struct stack_case *c = arg;
    volatile char local = 1;
    view_of(pthread_self(), &c->self);
    c->local_inside = inside((const void *)&local, &c->self);
    pthread_mutex_lock(&c->mu);
    c->ready = 1;
    pthread_cond_broadcast(&c->cv);
    while (!c->done) /* stay alive while the creator looks at us */
        pthread_cond_wait(&c->cv, &c->mu);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Runs a thread with attr and returns its own view; checks the creator's
 * view agrees. */
static struct stack_view examine(const char *what, pthread_attr_t *attr)
{
    struct stack_case c = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    pthread_t t;
    CHECK_ERR(pthread_create(&t, attr, stack_reporter, &c), 0);
    pthread_mutex_lock(&c.mu);
    while (!c.ready)
        pthread_cond_wait(&c.cv, &c.mu);
    pthread_mutex_unlock(&c.mu);
    struct stack_view from_outside;
    view_of(t, &from_outside);
    CHECK(c.local_inside, "%s: a local at %p is outside the reported stack [%p, +%zu)", what,
          (void *)&c, c.self.addr, c.self.size);
    CHECK(from_outside.addr == c.self.addr && from_outside.size == c.self.size &&
              from_outside.guard == c.self.guard,
          "%s: the creator sees [%p, +%zu) guard %zu, the thread [%p, +%zu) guard %zu", what,
          from_outside.addr, from_outside.size, from_outside.guard, c.self.addr, c.self.size,
          c.self.guard);
    CHECK_EQ(from_outside.detach, PTHREAD_CREATE_JOINABLE);
    pthread_mutex_lock(&c.mu);
    c.done = 1;
    pthread_cond_broadcast(&c.cv);
    pthread_mutex_unlock(&c.mu);
    CHECK_ERR(pthread_join(t, NULL), 0);
    return c.self;
}

static void stacks(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    pthread_attr_t attr;
    struct stack_view v;

    size_t sizes[] = {64 * 1024, 256 * 1024, 1 << 20, 3 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK_ERR(pthread_attr_init(&attr), 0);
        CHECK_ERR(pthread_attr_setstacksize(&attr, sizes[i]), 0);
        CHECK_ERR(pthread_attr_setguardsize(&attr, (i + 1) * page), 0);
        v = examine("setstacksize", &attr);
        CHECK_ERR(pthread_attr_destroy(&attr), 0);
        CHECK(v.size == sizes[i], "asked for %zu bytes, got %zu", sizes[i], v.size);
        CHECK(v.guard == (i + 1) * page, "asked for a %zu-byte guard, got %zu", (i + 1) * page,
              v.guard);
        printf("setstacksize(%zu), %zu guard pages: reported as asked, holds the locals\n",
               sizes[i], i + 1);
    }

    /* default: glibc's default stack size (RLIMIT_STACK), one guard page. Last:
     * glibc would reuse a cached 8 MiB stack for the smaller requests */
    pthread_attr_t def;
    size_t def_size, def_guard;
    CHECK_ERR(pthread_getattr_default_np(&def), 0);
    CHECK_ERR(pthread_attr_getstacksize(&def, &def_size), 0);
    CHECK_ERR(pthread_attr_getguardsize(&def, &def_guard), 0);
    CHECK_ERR(pthread_attr_destroy(&def), 0);
    v = examine("default", NULL);
    CHECK_EQ(v.size, def_size);
    CHECK_EQ(v.guard, def_guard);
    printf("default attributes: the reported stack holds the thread's locals; size and guard "
           "are the defaults\n");

    void *mem = mmap(NULL, USER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                     0);
    CHECK(mem != MAP_FAILED, "mmap");
    CHECK_ERR(pthread_attr_init(&attr), 0);
    CHECK_ERR(pthread_attr_setstack(&attr, mem, USER_STACK), 0);
    v = examine("setstack", &attr);
    CHECK_ERR(pthread_attr_destroy(&attr), 0);
    CHECK(v.addr == mem && v.size == USER_STACK, "gave [%p, +%d), reported [%p, +%zu)", mem,
          USER_STACK, v.addr, v.size);
    CHECK_EQ(munmap(mem, USER_STACK), 0);
    printf("setstack: reported exactly as given, and the thread ran on it\n");
}

/* --- detach state --- */

static pthread_mutex_t detach_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t detach_cv = PTHREAD_COND_INITIALIZER;
static int detach_step;

static void *detach_subject(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&detach_mu);
    detach_step = 1;
    pthread_cond_broadcast(&detach_cv);
    while (detach_step != 2)
        pthread_cond_wait(&detach_cv, &detach_mu);
    detach_step = 3;
    pthread_cond_broadcast(&detach_cv);
    pthread_mutex_unlock(&detach_mu);
    return NULL;
}

static void detach_state(void)
{
    pthread_t t;
    struct stack_view v;
    CHECK_ERR(pthread_create(&t, NULL, detach_subject, NULL), 0);
    pthread_mutex_lock(&detach_mu);
    while (detach_step != 1)
        pthread_cond_wait(&detach_cv, &detach_mu);
    view_of(t, &v);
    CHECK_EQ(v.detach, PTHREAD_CREATE_JOINABLE);
    CHECK_ERR(pthread_detach(t), 0);
    view_of(t, &v);
    CHECK_EQ(v.detach, PTHREAD_CREATE_DETACHED);
    detach_step = 2;
    pthread_cond_broadcast(&detach_cv);
    while (detach_step != 3)
        pthread_cond_wait(&detach_cv, &detach_mu);
    pthread_mutex_unlock(&detach_mu);
    printf("detach state: joinable, then detached after pthread_detach\n");
}

/* --- names --- */

static char inherited[32];

static void *read_own_name(void *arg)
{
    (void)arg;
    CHECK_ERR(pthread_getname_np(pthread_self(), inherited, sizeof inherited), 0);
    return NULL;
}

struct named {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int step;
    char seen[32];
};

static void *named_thread(void *arg)
{
    struct named *n = arg;
    char buf[32];
    CHECK_ERR(pthread_setname_np(pthread_self(), "worker-one"), 0);
    CHECK_ERR(pthread_getname_np(pthread_self(), buf, sizeof buf), 0);
    CHECK(strcmp(buf, "worker-one") == 0, "own name %s", buf);
    /* 15 bytes fit, 16 do not */
    CHECK_ERR(pthread_setname_np(pthread_self(), "fifteen-chars-x"), 0);
    CHECK_ERR(pthread_setname_np(pthread_self(), "sixteen-chars-xy"), ERANGE);
    CHECK_ERR(pthread_getname_np(pthread_self(), buf, sizeof buf), 0);
    CHECK(strcmp(buf, "fifteen-chars-x") == 0, "name after ERANGE %s", buf);
    /* glibc wants room for 16 bytes, however short the name */
    CHECK_ERR(pthread_getname_np(pthread_self(), buf, 8), ERANGE);
    CHECK_ERR(pthread_setname_np(pthread_self(), "w1"), 0);
    CHECK_ERR(pthread_getname_np(pthread_self(), buf, 15), ERANGE);
    CHECK_ERR(pthread_getname_np(pthread_self(), buf, 16), 0);
    CHECK(strcmp(buf, "w1") == 0, "short name %s", buf);
    /* a thread made by a named thread starts with its creator's name */
    pthread_t child;
    CHECK_ERR(pthread_create(&child, NULL, read_own_name, NULL), 0);
    CHECK_ERR(pthread_join(child, NULL), 0);
    CHECK(strcmp(inherited, "w1") == 0, "a child of \"w1\" is named \"%s\"", inherited);
    /* let main rename us */
    pthread_mutex_lock(&n->mu);
    n->step = 1;
    pthread_cond_broadcast(&n->cv);
    while (n->step != 2)
        pthread_cond_wait(&n->cv, &n->mu);
    CHECK_ERR(pthread_getname_np(pthread_self(), n->seen, sizeof n->seen), 0);
    pthread_mutex_unlock(&n->mu);
    return NULL;
}

static void names(void)
{
    char main_name[32], buf[32];
    CHECK_ERR(pthread_getname_np(pthread_self(), main_name, sizeof main_name), 0);
    /* an unnamed thread made by the (unnamed) main thread has main's name */
    pthread_t t;
    CHECK_ERR(pthread_create(&t, NULL, read_own_name, NULL), 0);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK(strcmp(inherited, main_name) == 0, "new thread is named %s, main %s", inherited,
          main_name);

    struct named n = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    CHECK_ERR(pthread_create(&t, NULL, named_thread, &n), 0);
    pthread_mutex_lock(&n.mu);
    while (n.step != 1)
        pthread_cond_wait(&n.cv, &n.mu);
    CHECK_ERR(pthread_getname_np(t, buf, sizeof buf), 0);
    CHECK(strcmp(buf, "w1") == 0, "name seen from main %s", buf);
    CHECK_ERR(pthread_setname_np(t, "renamed-by-main"), 0);
    CHECK_ERR(pthread_setname_np(t, "far-too-long-a-name"), ERANGE);
    n.step = 2;
    pthread_cond_broadcast(&n.cv);
    pthread_mutex_unlock(&n.mu);
    CHECK_ERR(pthread_join(t, NULL), 0);
    CHECK(strcmp(n.seen, "renamed-by-main") == 0, "renamed thread sees %s", n.seen);
    printf("names: round trips from the thread and from another, inherited from the "
           "creator, ERANGE over 15 bytes and under a 16-byte buffer\n");
}

/* --- sched_getcpu --- */

static cpu_set_t allowed;
static atomic_int bad_cpu, cpu_calls;

static void *cpu_reader(void *arg)
{
    (void)arg;
    for (int r = 0; r < 50; r++) {
        int cpu = sched_getcpu();
        if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
            fprintf(stderr, "sched_getcpu returned %d\n", cpu);
            atomic_fetch_add(&bad_cpu, 1);
        }
        atomic_fetch_add(&cpu_calls, 1);
        if (r % 2)
            sched_yield();
        else
            usleep(50);
    }
    return NULL;
}

static void cpus(void)
{
    CHECK_EQ(sched_getaffinity(0, sizeof allowed, &allowed), 0);
    pthread_t t[CPU_THREADS];
    spawn(t, CPU_THREADS, cpu_reader);
    join_all(t, CPU_THREADS);
    CHECK_EQ(atomic_load(&bad_cpu), 0);
    printf("sched_getcpu: %d calls in %d threads, all CPUs of the affinity mask\n",
           atomic_load(&cpu_calls), CPU_THREADS);
}

/* The end of the mapping that holds p, from /proc/self/maps (0: none). */
static uintptr_t mapping_end(const void *p)
{
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL, "/proc/self/maps: %s", strerror(errno));
    char line[512];
    unsigned long from, to, end = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx", &from, &to) == 2 && from <= (uintptr_t)p &&
            (uintptr_t)p < to)
            end = to;
    fclose(f);
    return end;
}

static void *main_view_from_a_thread(void *arg)
{
    struct stack_view *v = malloc(sizeof *v);
    CHECK(v != NULL, "malloc");
    view_of((pthread_t)arg, v);
    return v;
}

/* The main thread's own view (Rust's runtime finds its guard page this
 * way, and takes an error as "no guard": once under mnrt, ESRCH), glibc's
 * rule for it (its top is the page above its first frame, and it reaches
 * RLIMIT_STACK below the top of its mapping, given room: mnrt reads it
 * when first asked, not at boot). */
static void main_stack(void)
{
    volatile char local = 1;
    struct stack_view v;
    view_of(pthread_self(), &v);
    CHECK(inside((const void *)&local, &v), "main's local variable lies outside its stack");
    printf("main thread: pthread_getattr_np succeeds; a local lies inside its stack\n");
    uintptr_t top = (uintptr_t)v.addr + v.size, end = mapping_end((const void *)&local);
    long page = sysconf(_SC_PAGESIZE);
    struct rlimit rl;
    CHECK_ERR(getrlimit(RLIMIT_STACK, &rl), 0);
    CHECK(top % (uintptr_t)page == 0 && end >= top, "top %#lx, mapping's end %#lx",
          (unsigned long)top, (unsigned long)end);
    CHECK_EQ(v.guard, 0);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= 1024 * 1024)
        CHECK_EQ(v.size + (end - top), rl.rlim_cur & ~(rlim_t)(page - 1));
    printf("main thread: its stack reaches RLIMIT_STACK below the top of its mapping\n");
}

/* Last: glibc keeps the thread's stack for the next one of that size,
 * which stacks() asks for exactly. */
static void main_stack_from_a_thread(void)
{
    struct stack_view v;
    view_of(pthread_self(), &v);
    pthread_t t;
    void *seen;
    CHECK_ERR(pthread_create(&t, NULL, main_view_from_a_thread, (void *)pthread_self()), 0);
    CHECK_ERR(pthread_join(t, &seen), 0);
    struct stack_view *w = seen;
    CHECK(w->addr == v.addr && w->size == v.size && w->guard == v.guard,
          "main's stack seen from a thread: %p + %zu, from main %p + %zu", w->addr, w->size,
          v.addr, v.size);
    free(w);
    printf("main thread: another thread sees the same stack\n");
}

int main(void)
{
    main_stack();
    stacks();
    detach_state();
    names();
    cpus();
    main_stack_from_a_thread();
    return 0;
}
