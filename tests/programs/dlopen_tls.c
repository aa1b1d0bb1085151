/* Static TLS of a library dlopen'ed after threads exist (argv[1]:
 * dlopen_tls_lib.so, built with initial-exec __thread variables, data and
 * bss). glibc initialises the new module's static TLS block only in the
 * threads on its own lists; Gs are not on them, so without mnrt's fix
 * (shim/dlopen.c copies the init image into every live G) all 200 threads
 * read 0 instead of the initial values (measured, docs/glibc-facts.md §5). Checked: 200
 * threads alive and blocked during the dlopen, then 100 threads created
 * afterwards (reusing the TCBs of 100 threads that finished before the
 * dlopen), all read the initial values, and each keeps its own values
 * across yields and sleeps. Plugins with initial-exec TLS (Python
 * extension modules, OpenGL drivers) are loaded exactly like this. */
#include "check.h"
#include "dlopen_tls_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define BEFORE 200
#define RECYCLED 100

static __typeof__(tls_lib_initial) *lib_initial;
static __typeof__(tls_lib_set) *lib_set;
static __typeof__(tls_lib_has) *lib_has;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int waiting, loaded;
static atomic_int saw_initial, kept_own;

static void use_library(long id)
{
    if (lib_initial())
        atomic_fetch_add(&saw_initial, 1);
    lib_set(id);
    for (int r = 0; r < 10; r++) {
        if (r % 2)
            sched_yield();
        else
            usleep(100);
    }
    if (lib_has(id))
        atomic_fetch_add(&kept_own, 1);
}

static void *early(void *arg)
{
    pthread_mutex_lock(&mu);
    waiting++;
    while (!loaded)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    use_library((long)(intptr_t)arg);
    return NULL;
}

static void *late(void *arg)
{
    use_library(1000 + (long)(intptr_t)arg);
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: dlopen_tls LIBRARY");
    /* threads that finish before the dlopen: their TCBs may be reused later */
    pthread_t done[RECYCLED];
    spawn(done, RECYCLED, nothing);
    join_all(done, RECYCLED);

    pthread_t t[BEFORE];
    spawn(t, BEFORE, early);
    WAIT_UNTIL(locked_read(&mu, &waiting) == BEFORE);

    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    CHECK(h, "dlopen: %s", dlerror());
    *(void **)&lib_initial = dlsym(h, "tls_lib_initial");
    *(void **)&lib_set = dlsym(h, "tls_lib_set");
    *(void **)&lib_has = dlsym(h, "tls_lib_has");
    CHECK(lib_initial && lib_set && lib_has, "dlsym: %s", dlerror());
    CHECK(lib_initial(), "the main thread does not see the initial values");

    pthread_mutex_lock(&mu);
    loaded = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    join_all(t, BEFORE);
    int early_initial = atomic_load(&saw_initial);
    fprintf(stderr, "threads alive at the dlopen: %d of %d saw the initial values\n",
            early_initial, BEFORE);
    CHECK_EQ(early_initial, BEFORE);
    CHECK_EQ(atomic_load(&kept_own), BEFORE);

    pthread_t l[RECYCLED];
    spawn(l, RECYCLED, late);
    join_all(l, RECYCLED);
    CHECK_EQ(atomic_load(&saw_initial), BEFORE + RECYCLED);
    CHECK_EQ(atomic_load(&kept_own), BEFORE + RECYCLED);
    CHECK(lib_initial(), "the main thread's values changed");
    printf("initial-exec TLS of a library loaded late: %d threads alive at the dlopen and "
           "%d made after it saw the initial values and kept their own\n", BEFORE, RECYCLED);
    return 0;
}
