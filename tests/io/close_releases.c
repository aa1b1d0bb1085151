/* close() means closed: once a close returns, the kernel has let go of the
 * file, also when a thread waited on the fd before (under mnrt a poller
 * registration then refers to the file). Each case waits on a socket with
 * a short poll that times out (in this thread or in another one, so that
 * the registration belongs to another kernel thread), closes it one way or
 * another, and at once looks from the outside:
 * - a listener: a new connect to its address must be refused (not
 *   accepted, nor reset by a listener that closes meanwhile);
 * - a connected socket with SO_LINGER {1, 0}: its peer must see the reset.
 * The ways to close: close, fclose of an fdopen'ed stream, close_range,
 * closefrom, dup2 and dup3 of another fd onto it. Each count is printed;
 * natively every connect is refused and every reset seen.
 * Last, closefrom(3), and a loop closing every fd, close every fd of the
 * program while its threads still wait on pipes afterwards: what mnrt keeps open for itself (its
 * poller's fds) must survive it (once, the program hung here). */
#include "loopback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

enum how { BY_CLOSE, BY_FCLOSE, BY_CLOSE_RANGE, BY_CLOSEFROM, BY_DUP2, BY_DUP3 };
static const char *const how_names[] = {"close", "fclose", "close_range", "closefrom", "dup2",
                                        "dup3"};

/* fd moved above every open fd (closefrom closes just it then). */
static int on_top(int fd)
{
    int top = fd;
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL, "opendir: %s", strerror(errno));
    for (struct dirent *e; (e = readdir(d));)
        if (atoi(e->d_name) > top)
            top = atoi(e->d_name);
    closedir(d);
    int moved = fcntl(fd, F_DUPFD, top + 1);
    CHECK(moved >= 0, "F_DUPFD: %s", strerror(errno));
    CHECK_EQ(close(fd), 0);
    return moved;
}

static void *poll_briefly(void *arg)
{
    struct pollfd pf = {.fd = (int)(intptr_t)arg, .events = POLLIN};
    CHECK_EQ(poll(&pf, 1, 1), 0);
    return NULL;
}

/* A poll that times out, here or in another thread. */
static void wait_on(int fd, bool elsewhere)
{
    if (!elsewhere) {
        poll_briefly((void *)(intptr_t)fd);
        return;
    }
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, poll_briefly, (void *)(intptr_t)fd), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
}

/* Closes fd the way asked; fd is the highest open fd (on_top). */
static void close_it(int fd, enum how how)
{
    int other;
    switch (how) {
    case BY_CLOSE:
        CHECK_EQ(close(fd), 0);
        break;
    case BY_FCLOSE: {
        FILE *f = fdopen(fd, "r");
        CHECK(f != NULL, "fdopen: %s", strerror(errno));
        int r = fclose(f);
        CHECK_EQ(r, 0);
        break;
    }
    case BY_CLOSE_RANGE:
        CHECK_EQ(close_range((unsigned)fd, (unsigned)fd, 0), 0);
        break;
    case BY_CLOSEFROM:
        closefrom(fd);
        break;
    case BY_DUP2:
    case BY_DUP3:
        other = open("/dev/null", O_RDONLY);
        CHECK(other >= 0, "open: %s", strerror(errno));
        CHECK_EQ(how == BY_DUP2 ? dup2(other, fd) : dup3(other, fd, 0), fd);
        CHECK_EQ(close(other), 0);
        CHECK_EQ(close(fd), 0);
        break;
    }
}

static int connects_after_close(enum how how, int rounds)
{
    int accepted = 0;
    for (int i = 0; i < rounds; i++) {
        struct sockaddr_in a;
        int ls = on_top(listener(&a));
        wait_on(ls, i % 2);
        close_it(ls, how);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        /* success, or a reset by a listener closing meanwhile */
        accepted += connect(c, (struct sockaddr *)&a, sizeof a) == 0 || errno != ECONNREFUSED;
        close(c);
    }
    return accepted;
}

static int resets_seen(enum how how, int rounds)
{
    int seen = 0;
    for (int i = 0; i < rounds; i++) {
        struct sockaddr_in a;
        int ls = listener(&a);
        int peer = socket(AF_INET, SOCK_STREAM, 0);
        CHECK_EQ(connect(peer, (struct sockaddr *)&a, sizeof a), 0);
        int s = accept(ls, NULL, NULL);
        CHECK(s >= 0, "accept: %s", strerror(errno));
        close(ls);
        s = on_top(s);
        wait_on(s, i % 2);
        struct linger lg = {1, 0};
        CHECK_EQ(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
        close_it(s, how);
        char c;
        ssize_t n = recv(peer, &c, 1, MSG_DONTWAIT);
        CHECK(n < 0 && (errno == ECONNRESET || errno == EAGAIN), "recv: %zd %s", n,
              strerror(errno));
        seen += errno == ECONNRESET;
        close(peer);
    }
    return seen;
}

static void *write_later(void *arg)
{
    usleep(10000);
    CHECK_EQ(write((int)(intptr_t)arg, "x", 1), 1);
    return NULL;
}

/* After closefrom(3), or a loop that closes every fd from 3 to the limit:
 * a thread waits for a byte that another one sends. */
static void wait_after_closefrom(void)
{
    closefrom(3);
    for (int i = 0; i < 4; i++) {
        if (i == 3) { /* the daemon's way, fd by fd */
            struct rlimit rl;
            CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
            for (int fd = 3; fd < (int)rl.rlim_cur; fd++)
                close(fd);
        }
        int p[2];
        CHECK_EQ(pipe(p), 0);
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, write_later, (void *)(intptr_t)p[1]), 0);
        char c;
        CHECK_EQ(read(p[0], &c, 1), 1);
        CHECK_EQ(pthread_join(t, NULL), 0);
        close(p[0]);
        close(p[1]);
        closefrom(3);
    }
    printf("threads waited on pipes after closefrom(3) and closing every fd\n");
    /* a range from 0 closes fd 0 (stdin, moved aside and back) */
    int saved = dup(0);
    CHECK(saved >= 0, "dup: %s", strerror(errno));
    CHECK_EQ(close_range(0, 0, 0), 0);
    printf("close_range(0, 0) closed fd 0: %d\n", fcntl(0, F_GETFD) == -1 && errno == EBADF);
    CHECK_EQ(dup2(saved, 0), 0);
    close(saved);
}

int main(void)
{
    /* a limit the fd-by-fd close loop below can cover (mnrt keeps its own
     * fds just under it) */
    struct rlimit files = {4096, 4096};
    CHECK_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
    for (enum how how = BY_CLOSE; how <= BY_DUP3; how++) {
        int rounds = how == BY_CLOSE ? 1000 : 200;
        printf("%s of a listener: %d of %d connects after it reached it\n", how_names[how],
               connects_after_close(how, rounds), rounds);
        printf("%s with SO_LINGER {1, 0}: the peer saw the reset %d of %d times\n",
               how_names[how], resets_seen(how, rounds), rounds);
    }
    wait_after_closefrom();
    return 0;
}
