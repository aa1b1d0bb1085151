/* Dropping privileges after threads exist, as servers do once they have
 * bound their ports: setgroups, setgid and setuid called from a thread
 * that is not the main one must return 0 and leave every kernel thread of
 * the process with the new credentials (Linux keeps credentials per
 * kernel thread; glibc makes all of them switch). Under mnrt glibc's own
 * mechanism would wait forever for the Gs' TCBs (docs/glibc-facts.md §5), so mnrt
 * interposes the family and makes each kernel thread switch
 * (shim/setxid.c). Afterwards new threads keep the new credentials and
 * going back to root fails with EPERM. Needs root; otherwise both runs
 * print the same notice and succeed.
 * First, before any thread: setgid and setuid to root's own ids. Under
 * mnrt glibc makes its first thread only with the program's first
 * (shim/create.c), and installs its own handler for the set*id signal
 * then, over mnrt's: the later broadcast ran glibc's handler in every
 * other kernel thread (SIGSEGV). */
#include "check.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

#define NOBODY 65534
#define BLOCKED 32
#define BUSY 4
#define LATER 16
#define BACK 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int started, go;
static atomic_int stop_busy, wrong_ids;

static void *blocked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    started++;
    while (!go)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    /* every thread sees the new ids */
    if (getuid() != NOBODY || geteuid() != NOBODY || getgid() != NOBODY || getegid() != NOBODY)
        atomic_fetch_add(&wrong_ids, 1);
    return NULL;
}

static void *busy(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_busy)) {
        for (volatile int k = 0; k < 20000; k++) /* mostly running, not switching */
            ;
        sched_yield();
    }
    return NULL;
}

static atomic_int regained;

static void *try_root(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++) {
        if (setuid(0) == 0 || errno != EPERM)
            atomic_fetch_add(&regained, 1);
        if (seteuid(0) == 0 || errno != EPERM)
            atomic_fetch_add(&regained, 1);
        if (setgid(0) == 0 || errno != EPERM)
            atomic_fetch_add(&regained, 1);
        usleep(200); /* wake up on whichever kernel thread */
    }
    return NULL;
}

struct result {
    int groups, gid, uid;
};

static void *drop(void *arg)
{
    struct result *r = arg;
    r->groups = setgroups(0, NULL) == 0 ? 0 : errno;
    r->gid = setgid(NOBODY) == 0 ? 0 : errno;
    r->uid = setuid(NOBODY) == 0 ? 0 : errno;
    return NULL;
}

/* Checks the Uid, Gid and Groups lines of every /proc/self/task/T/status;
 * returns the number of tasks. */
static int all_tasks_are_nobody(void)
{
    DIR *d = opendir("/proc/self/task");
    CHECK(d, "opendir /proc/self/task");
    struct dirent *e;
    int tasks = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], line[256], name[64] = "?";
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* the task has just exited */
        unsigned ids[2][4];
        int have = 0;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "Name: %63s", name) == 1)
                continue;
            if (sscanf(line, "Uid: %u %u %u %u", &ids[0][0], &ids[0][1], &ids[0][2],
                       &ids[0][3]) == 4)
                have |= 1;
            else if (sscanf(line, "Gid: %u %u %u %u", &ids[1][0], &ids[1][1], &ids[1][2],
                            &ids[1][3]) == 4)
                have |= 2;
            else if (strncmp(line, "Groups:", 7) == 0) {
                have |= 4;
                CHECK(strspn(line + 7, " \t\n") == strlen(line + 7),
                      "task %s (%s) keeps supplementary groups:%s", e->d_name, name, line + 7);
            }
        }
        fclose(f);
        CHECK(have == 7, "task %s: status incomplete", e->d_name);
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < 4; j++)
                CHECK(ids[k][j] == NOBODY, "task %s (%s): %s %u %u %u %u", e->d_name, name,
                      k ? "gid" : "uid", ids[k][0], ids[k][1], ids[k][2], ids[k][3]);
        tasks++;
    }
    closedir(d);
    return tasks;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("skipped: setxid needs root\n");
        return 0;
    }
    CHECK_ERRNO(setgid(0), 0);
    CHECK_ERRNO(setuid(0), 0);
    printf("setgid, setuid to root's own ids before any thread: 0\n");

    pthread_t t[BLOCKED + BUSY], later[LATER];
    spawn(t, BLOCKED, blocked);
    for (int i = 0; i < BUSY; i++)
        CHECK_ERR(pthread_create(&t[BLOCKED + i], NULL, busy, NULL), 0);
    WAIT_UNTIL(locked_read(&mu, &started) == BLOCKED);

    struct result r = {-1, -1, -1};
    pthread_t dropper;
    CHECK_ERR(pthread_create(&dropper, NULL, drop, &r), 0);
    CHECK_ERR(pthread_join(dropper, NULL), 0);
    CHECK_ERR(r.groups, 0);
    CHECK_ERR(r.gid, 0);
    CHECK_ERR(r.uid, 0);
    int tasks = all_tasks_are_nobody();
    fprintf(stderr, "%d kernel threads checked\n", tasks);
    printf("setgroups, setgid, setuid from a thread: 0; every kernel thread has uid and gid "
           "%d, no groups\n", NOBODY);

    /* going back fails, from any thread, while others run */
    CHECK_ERRNO(setuid(0), EPERM);
    CHECK_ERRNO(seteuid(0), EPERM);
    pthread_t back[BACK];
    spawn(back, BACK, try_root);
    join_all(back, BACK);
    CHECK_EQ(atomic_load(&regained), 0);

    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    spawn(later, LATER, blocked); /* go is set: they check their ids and end */
    join_all(later, LATER);
    atomic_store(&stop_busy, 1);
    join_all(t, BLOCKED + BUSY);
    CHECK_EQ(atomic_load(&wrong_ids), 0);
    all_tasks_are_nobody();
    printf("setuid(0), seteuid(0), setgid(0) from any thread: EPERM; old and new threads "
           "see the new ids\n");
    return 0;
}
