/* Calls that change the kernel thread making them stay the calling
 * thread's under mnrt (it locks the thread to its kernel thread, which
 * then runs nothing else), as natively, where each thread is its own:
 * - a thread that unshares its UTS namespace and sets a hostname sees it
 *   after every sleep; 16 other threads, sleeping as often, never do;
 * - a thread that pins itself to one CPU stays there and keeps that
 *   affinity after every sleep, while the others keep the whole mask;
 * - a thread locked with mnrt_lock_thread (found with dlsym: natively it
 *   is absent and every thread is locked anyway) keeps its kernel thread
 *   across sleeps, and no other thread runs on that kernel thread
 *   meanwhile; then it exits while locked, and threads made afterwards
 *   run normally.
 * Each part prints what it saw; unshare needs CAP_SYS_ADMIN (else it says
 * so, the same way natively). */
#include "check.h"

#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#define OTHERS 16
#define ROUNDS 200

static atomic_int done;
static char original[65];
static atomic_int saw_private, saw_original_wrong;

static void nap(void)
{
    usleep(200);
}

static void *others_uts(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        struct utsname u;
        uname(&u);
        if (strcmp(u.nodename, original) != 0)
            atomic_fetch_add(&saw_original_wrong, 1);
        nap();
    }
    return NULL;
}

static void *unsharer(void *arg)
{
    (void)arg;
    if (unshare(CLONE_NEWUTS) != 0) {
        printf("unshare(CLONE_NEWUTS): %s\n", errname(errno));
        return NULL;
    }
    CHECK_EQ(sethostname("mnrt-private", 12), 0);
    for (int i = 0; i < ROUNDS; i++) {
        nap();
        struct utsname u;
        uname(&u);
        if (strcmp(u.nodename, "mnrt-private") == 0)
            atomic_fetch_add(&saw_private, 1);
    }
    printf("unshare: the thread saw its own hostname %d of %d times\n",
           atomic_load(&saw_private), ROUNDS);
    return NULL;
}

static cpu_set_t whole;
static atomic_int wrong_mask, pinned_ok;

static void *others_affinity(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        cpu_set_t s;
        CHECK_EQ(sched_getaffinity(0, sizeof s, &s), 0);
        if (!CPU_EQUAL(&s, &whole))
            atomic_fetch_add(&wrong_mask, 1);
        nap();
    }
    return NULL;
}

static void *pinner(void *arg)
{
    (void)arg;
    int cpu = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &whole)) {
            cpu = c;
            break;
        }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    CHECK_ERR(pthread_setaffinity_np(pthread_self(), sizeof one, &one), 0);
    for (int i = 0; i < ROUNDS; i++) {
        nap();
        cpu_set_t s;
        CHECK_ERR(pthread_getaffinity_np(pthread_self(), sizeof s, &s), 0);
        if (CPU_EQUAL(&s, &one) && sched_getcpu() == cpu)
            atomic_fetch_add(&pinned_ok, 1);
    }
    printf("affinity: the pinned thread was on its CPU, with its mask, %d of %d times\n",
           atomic_load(&pinned_ok), ROUNDS);
    return NULL;
}

static atomic_int locked_tid, stolen, kept;

static void *others_tid(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        if ((int)syscall(SYS_gettid) == atomic_load(&locked_tid))
            atomic_fetch_add(&stolen, 1);
        nap();
    }
    return NULL;
}

static void *locker(void *arg)
{
    (void)arg;
    int (*lock)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mnrt_lock_thread");
    if (lock)
        CHECK_EQ(lock(), 0);
    int tid = (int)syscall(SYS_gettid);
    atomic_store(&locked_tid, tid);
    for (int i = 0; i < ROUNDS; i++) {
        nap();
        if ((int)syscall(SYS_gettid) == tid)
            atomic_fetch_add(&kept, 1);
    }
    atomic_store(&locked_tid, 0);
    printf("lock: the locked thread kept its kernel thread %d of %d times\n",
           atomic_load(&kept), ROUNDS);
    return NULL; /* exits locked: its kernel thread goes with it */
}

static void run_part(void *(*main_fn)(void *), void *(*other_fn)(void *))
{
    pthread_t t, o[OTHERS];
    atomic_store(&done, 0);
    for (int i = 0; i < OTHERS; i++)
        CHECK_ERR(pthread_create(&o[i], NULL, other_fn, NULL), 0);
    CHECK_ERR(pthread_create(&t, NULL, main_fn, NULL), 0);
    CHECK_ERR(pthread_join(t, NULL), 0);
    atomic_store(&done, 1);
    for (int i = 0; i < OTHERS; i++)
        CHECK_ERR(pthread_join(o[i], NULL), 0);
}

static void *add_one(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
    return NULL;
}

int main(void)
{
    struct utsname u;
    uname(&u);
    strcpy(original, u.nodename);
    CHECK_EQ(sched_getaffinity(0, sizeof whole, &whole), 0);

    run_part(unsharer, others_uts);
    printf("unshare: the other threads saw another hostname %d times\n",
           atomic_load(&saw_original_wrong));
    uname(&u);
    printf("unshare: main sees the original hostname: %d\n", strcmp(u.nodename, original) == 0);

    run_part(pinner, others_affinity);
    printf("affinity: the other threads saw another mask %d times\n", atomic_load(&wrong_mask));

    run_part(locker, others_tid);
    printf("lock: other threads ran on the locked kernel thread %d times\n",
           atomic_load(&stolen));
    atomic_int ran = 0;
    pthread_t t[100];
    for (int i = 0; i < 100; i++)
        CHECK_ERR(pthread_create(&t[i], NULL, add_one, &ran), 0);
    for (int i = 0; i < 100; i++)
        CHECK_ERR(pthread_join(t[i], NULL), 0);
    printf("lock: %d threads ran after the locked one exited\n", atomic_load(&ran));
    return 0;
}
