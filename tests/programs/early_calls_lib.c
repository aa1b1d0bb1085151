/* Linked into early_calls: its constructor runs before libmnrt's (a
 * preloaded library is initialised after the program's own libraries), so
 * every name it calls reaches mnrt before mnrt has booted, as libselinux's
 * fclose, jemalloc's pthread_mutex_init or libGLdispatch's dlopen do. Each
 * family prints what it saw; the program checks the rest after boot. It
 * also leaves things made before boot for main to use afterwards: a
 * mutex and condition variable, a SIGEV_THREAD timer whose helper
 * thread glibc made before boot (a foreign thread from then on), and a
 * thread that waits in syscall(SYS_futex) from before boot until main
 * wakes it (a wake that finds no parked thread must still reach it). */
#include "check.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <netdb.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/socket.h>

pthread_mutex_t early_mutex;
pthread_cond_t early_cond;
timer_t early_timer;
int early_timer_fired;

static void *early_thread(void *arg)
{
    return (char *)arg + 1;
}

_Atomic uint32_t early_futex_word;
_Atomic int early_futex_woken;

static void *early_futex_waiter(void *arg)
{
    while (atomic_load(&early_futex_word) == 0)
        syscall(SYS_futex, &early_futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    atomic_store(&early_futex_woken, 1);
    return arg;
}

static void on_timer(union sigval v)
{
    (void)v;
    pthread_mutex_lock(&early_mutex);
    early_timer_fired++;
    pthread_cond_broadcast(&early_cond);
    pthread_mutex_unlock(&early_mutex);
}

static void stdio_and_dlopen(void)
{
    FILE *f = fopen("/proc/self/stat", "r");
    CHECK(f != NULL, "fopen: %s", strerror(errno));
    printf("early fclose: %d\n", fclose(f));
    FILE *p = popen("echo early popen", "r");
    CHECK(p != NULL, "popen: %s", strerror(errno));
    char line[64] = "";
    CHECK(fgets(line, sizeof line, p) != NULL, "fgets");
    printf("early pclose: %d, read: %s", pclose(p), line);
    void *m = dlopen("libm.so.6", RTLD_NOW);
    CHECK(m != NULL, "dlopen: %s", dlerror());
    double (*cosine)(double) = (double (*)(double))dlsym(m, "cos");
    printf("early dlopen: cos(0) = %.1f\n", cosine(0.0));
    dlclose(m);
}

static void sync_objects(void)
{
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    CHECK_ERR(pthread_mutex_init(&early_mutex, &ma), 0);
    pthread_mutexattr_destroy(&ma);
    CHECK_ERR(pthread_mutex_lock(&early_mutex), 0);
    CHECK_ERR(pthread_mutex_lock(&early_mutex), 0);
    CHECK_ERR(pthread_mutex_unlock(&early_mutex), 0);
    CHECK_ERR(pthread_mutex_unlock(&early_mutex), 0);

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    CHECK_ERR(pthread_cond_init(&early_cond, &ca), 0);
    pthread_condattr_destroy(&ca);
    struct timespec soon = deadline_in(CLOCK_MONOTONIC, 5);
    pthread_mutex_lock(&early_mutex);
    int r = pthread_cond_timedwait(&early_cond, &early_mutex, &soon);
    pthread_mutex_unlock(&early_mutex);
    printf("early mutex (recursive) and cond timedwait: %s\n", errname(r));

    pthread_rwlockattr_t ra;
    pthread_rwlock_t rw;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    CHECK_ERR(pthread_rwlock_init(&rw, &ra), 0);
    CHECK_ERR(pthread_rwlock_rdlock(&rw), 0);
    printf("early rwlock: trywrlock while read-locked: %s\n",
           errname(pthread_rwlock_trywrlock(&rw)));
    CHECK_ERR(pthread_rwlock_unlock(&rw), 0);
    pthread_rwlock_destroy(&rw);

    pthread_barrierattr_t ba;
    pthread_barrier_t b;
    pthread_barrierattr_init(&ba);
    CHECK_ERR(pthread_barrier_init(&b, &ba, 1), 0);
    printf("early barrier of one: serial %d\n",
           pthread_barrier_wait(&b) == PTHREAD_BARRIER_SERIAL_THREAD);
    pthread_barrier_destroy(&b);

    sem_t s;
    CHECK_EQ(sem_init(&s, 0, 1), 0);
    CHECK_EQ(sem_wait(&s), 0);
    errno = 0;
    printf("early semaphore: trywait on 0: %s\n", errname(sem_trywait(&s) ? errno : 0));
    sem_destroy(&s);
}

static void threads_and_signals(void)
{
    pthread_t t;
    void *ret;
    char word[] = "xy";
    CHECK_ERR(pthread_create(&t, NULL, early_thread, word), 0);
    CHECK_ERR(pthread_join(t, &ret), 0);
    printf("early thread returned: %s\n", (char *)ret);

    pthread_attr_t a;
    CHECK_ERR(pthread_getattr_np(pthread_self(), &a), 0);
    pthread_attr_destroy(&a);
    char name[16];
    CHECK_ERR(pthread_setname_np(pthread_self(), "early"), 0);
    CHECK_ERR(pthread_getname_np(pthread_self(), name, sizeof name), 0);
    printf("early name: %s\n", name);
    CHECK_ERR(pthread_setname_np(pthread_self(), "early_calls"), 0);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_EQ(sigprocmask(SIG_BLOCK, &set, &old), 0);
    CHECK_ERR(pthread_sigmask(SIG_SETMASK, &old, &set), 0);
    printf("early sigprocmask: SIGUSR1 was blocked: %d\n", sigismember(&set, SIGUSR1));
    CHECK_EQ(setuid(getuid()), 0);
    printf("early setuid to the same uid: ok\n");

    pthread_t waiter;
    CHECK_ERR(pthread_create(&waiter, NULL, early_futex_waiter, NULL), 0);
    CHECK_ERR(pthread_detach(waiter), 0);

    struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_timer};
    CHECK_EQ(timer_create(CLOCK_MONOTONIC, &ev, &early_timer), 0);
    struct itimerspec once = {.it_value = {0, 1000000}};
    CHECK_EQ(timer_settime(early_timer, 0, &once, NULL), 0);
    pthread_mutex_lock(&early_mutex);
    while (early_timer_fired == 0)
        pthread_cond_wait(&early_cond, &early_mutex);
    pthread_mutex_unlock(&early_mutex);
    printf("early SIGEV_THREAD timer fired\n");
}

static void io_and_sleep(void)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    int r = getaddrinfo("localhost", "80", &hints, &res);
    printf("early getaddrinfo(localhost): %s\n", r == 0 ? "found" : gai_strerror(r));
    if (r == 0)
        freeaddrinfo(res);
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    CHECK_EQ(write(sv[0], "ping", 4), 4);
    char buf[8] = "";
    CHECK_EQ(read(sv[1], buf, sizeof buf), 4);
    printf("early socketpair: %s\n", buf);
    CHECK_EQ(close(sv[0]), 0);
    CHECK_EQ(close_range((unsigned)sv[1], (unsigned)sv[1], 0), 0);
    CHECK_EQ(usleep(1000), 0);
    struct timespec ms = {0, 1000000};
    CHECK_EQ(nanosleep(&ms, NULL), 0);
    printf("early sleeps: done\n");
}

__attribute__((constructor)) static void early_calls(void)
{
    stdio_and_dlopen();
    sync_objects();
    threads_and_signals();
    io_and_sleep();
    fflush(stdout);
}
