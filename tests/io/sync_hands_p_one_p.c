/* A thread that syncs a file to its disk does not keep the others from
 * running meanwhile. With one P (MNRT_PROCS=1) the syncing thread gives
 * the P up as the call begins when another thread waits for it
 * (core/syscall.c mn_entersyscallblock): fsync, fdatasync, msync with
 * MS_SYNC, sync_file_range with a wait, syncfs. Before, it kept the P for
 * the whole call unless sysmon saw the call at two looks (up to 20 ms
 * apart), so a database's connection threads all waited for each of its
 * log's fsyncs (MariaDB's read/write transactions on one CPU: one fsync
 * per commit, no group commit; docs/design.md §8).
 *
 * The file is on tmpfs where there is one, whose syncs return at once:
 * then only a P given up at the call's start lets the other thread run
 * during it, and without that the counts stay 0. The other thread counts
 * its turns; a sync during which the count moved is one the other thread
 * ran in. Each call must see that KEEP times, or the test fails. Run
 * under mnrt only: natively whether the other thread runs during a sync
 * of a microsecond depends on what else the CPUs do. */
#include "check.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

#define KEEP 200
#define MAX_CALLS 200000

enum { FSYNC, FDATASYNC, MSYNC, SYNC_FILE_RANGE, SYNCFS, CALLS };
static const char *const names[CALLS] = {"fsync", "fdatasync", "msync(MS_SYNC)",
                                         "sync_file_range(WAIT)", "syncfs"};

static atomic_long turns;
static atomic_bool stop;

static void *other(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&turns, 1);
        sched_yield();
    }
    return NULL;
}

static int sync_call(int kind, int fd, char *map)
{
    switch (kind) {
    case FSYNC:
        return fsync(fd);
    case FDATASYNC:
        return fdatasync(fd);
    case MSYNC:
        return msync(map, 4096, MS_SYNC);
    case SYNC_FILE_RANGE:
        return sync_file_range(fd, 0, 4096,
                               SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                   SYNC_FILE_RANGE_WAIT_AFTER);
    default:
        return syncfs(fd);
    }
}

int main(void)
{
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
    CHECK(fd >= 0, "O_TMPFILE in %s: %s", dir, errname(errno));
    CHECK_EQ(ftruncate(fd, 4096), 0);
    char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED, "mmap: %s", errname(errno));

    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, other, NULL), 0);
    while (atomic_load(&turns) == 0)
        sched_yield();
    int ran_during[CALLS] = {0}, left = CALLS;
    for (long i = 0; i < MAX_CALLS && left > 0; i++) {
        int kind = (int)(i % CALLS);
        map[i % 4096] = (char)i; /* something to write back */
        CHECK_EQ(pwrite(fd, "x", 1, i % 4096), 1);
        long before = atomic_load(&turns);
        CHECK_EQ(sync_call(kind, fd, map), 0);
        if (atomic_load(&turns) != before && ++ran_during[kind] == KEEP)
            left--;
    }
    atomic_store(&stop, true);
    CHECK_EQ(pthread_join(t, NULL), 0);
    for (int k = 0; k < CALLS; k++)
        CHECK(ran_during[k] >= KEEP, "another thread ran during %d of the %s calls (%d wanted)",
              ran_during[k], names[k], KEEP);
    munmap(map, 4096);
    close(fd);
    return 0;
}
