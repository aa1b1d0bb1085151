/* Kernel threads with nothing to do stay asleep while others bounce
 * bytes. Two threads ping-pong a byte over two pipes, then over a socket
 * pair, while the main thread waits for a child process: its kernel
 * thread is in waitpid and (under mnrt, run with one P) has had its P
 * handed on, and it had armed the poll of the pipe the server reads,
 * which stays armed. When waitpid returns, that kernel thread has no P
 * and sleeps idle; the count starts 50 ms later. With io_uring the poll's completions are finished by
 * the thread that armed it, so unless mnrt moves the poll, every round
 * trip wakes that idle thread just for that (io_uring's task work): a
 * voluntary context switch per round trip. Under mnrt the process must
 * make far fewer voluntary switches than round trips (the one P runs
 * both threads; sysmon's ticks are a few hundred a second); natively each
 * round trip blocks both threads, so natively only the bytes are checked.
 * The output is the same natively and under the preload. */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MEASURED_ROUNDS 5000

static int to_server[2], to_client[2], go[2];
static atomic_long rounds;
static atomic_bool stop, server_waits, client_waits;

static void *server(void *arg)
{
    (void)arg;
    unsigned char c;
    atomic_store(&server_waits, true);
    while (read(to_server[0], &c, 1) == 1)
        CHECK_EQ(write(to_client[1], &c, 1), 1);
    return NULL;
}

static void *client(void *arg)
{
    (void)arg;
    unsigned char c, back;
    atomic_store(&client_waits, true);
    CHECK_EQ(read(go[0], &c, 1), 1);
    for (long i = 0; !atomic_load(&stop); i++) {
        c = (unsigned char)i;
        CHECK_EQ(write(to_server[1], &c, 1), 1);
        CHECK_EQ(read(to_client[0], &back, 1), 1);
        CHECK(back == c, "byte %ld came back as %d", i, back);
        atomic_store(&rounds, i + 1);
    }
    close(to_server[1]); /* the server reads the end of the file */
    return NULL;
}

/* The voluntary context switches of every kernel thread of the process. */
static long voluntary_switches(void)
{
    DIR *d = opendir("/proc/self/task");
    CHECK(d != NULL, "opendir: %s", strerror(errno));
    long sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], line[128];
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue; /* gone meanwhile */
        long n;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
                sum += n;
        fclose(f);
    }
    closedir(d);
    return sum;
}

static void make_pair(int fds[2], bool sockets)
{
    if (sockets)
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair: %s",
              strerror(errno));
    else
        CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
}

static void bounce(bool sockets)
{
    make_pair(to_server, sockets);
    make_pair(to_client, sockets);
    CHECK(pipe2(go, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
    atomic_store(&rounds, 0);
    atomic_store(&stop, false);
    atomic_store(&server_waits, false);
    atomic_store(&client_waits, false);
    pthread_t s, c;
    CHECK_EQ(pthread_create(&s, NULL, server, NULL), 0);
    CHECK_EQ(pthread_create(&c, NULL, client, NULL), 0);
    WAIT_UNTIL(atomic_load(&server_waits) && atomic_load(&client_waits));
    usleep(20000); /* both asleep in read (under mnrt: their polls armed here) */

    pid_t child = fork();
    CHECK(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) {
        usleep(200000);
        _exit(0);
    }
    CHECK_EQ(write(go[1], "", 1), 1);
    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
    /* mnrt moves a poll away from an M idle for 10 ms (poller_uring.c) */
    usleep(50000);

    long from = atomic_load(&rounds), before = voluntary_switches();
    WAIT_UNTIL(atomic_load(&rounds) >= from + MEASURED_ROUNDS);
    long after = voluntary_switches(), done = atomic_load(&rounds) - from;
    atomic_store(&stop, true);
    CHECK_EQ(pthread_join(c, NULL), 0);
    CHECK_EQ(pthread_join(s, NULL), 0);
    if (under_mnrt())
        CHECK((after - before) * 4 < done,
              "%s: %ld voluntary context switches in %ld round trips: an idle kernel thread is "
              "woken for each",
              sockets ? "socket pair" : "pipes", after - before, done);
    printf("%s: bytes came back in order\n", sockets ? "socket pair" : "pipes");
    close(to_server[0]);
    close(to_client[0]);
    close(to_client[1]);
    close(go[0]);
    close(go[1]);
}

int main(void)
{
    bounce(false);
    bounce(true);
    return 0;
}
