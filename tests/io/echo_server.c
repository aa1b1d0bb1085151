/* A classic thread-per-connection echo server (one pthread per
 * connection, blocking read and write), loaded by echo_client with many
 * concurrent connections that check every byte. Under mnrt the process
 * must keep at most procs + 8 kernel threads while all connections are
 * open, io_uring's workers included (their number goes to stderr).
 * usage: echo_server CLIENT CONNS MSGS SIZE */
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int open_conns, max_open;

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    int n = atomic_fetch_add(&open_conns, 1) + 1;
    for (int m = atomic_load(&max_open); n > m && !atomic_compare_exchange_weak(&max_open, &m, n);)
        ;
    char buf[4096];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0)
            break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(fd, buf + off, (size_t)(r - off));
            CHECK(w > 0, "write: %s", strerror(errno));
            off += w;
        }
    }
    atomic_fetch_sub(&open_conns, 1);
    close(fd);
    return NULL;
}

static void *acceptor(void *arg)
{
    int ls = (int)(intptr_t)arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        CHECK_EQ(pthread_create(&t, &attr, serve, (void *)(intptr_t)fd), 0);
    }
    return NULL;
}

static int io_workers(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
        if (f) {
            if (fgets(comm, sizeof comm, f) && strncmp(comm, "iou-", 4) == 0)
                n++;
            fclose(f);
        }
    }
    if (d)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    CHECK(argc == 5, "usage: echo_server CLIENT CONNS MSGS SIZE");
    int conns = atoi(argv[2]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    CHECK(rl.rlim_cur > (rlim_t)conns + 64, "need %d fds, have %ld", conns + 64, (long)rl.rlim_cur);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    CHECK_EQ(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(listen(ls, 4096), 0);
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    char port[16];
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, acceptor, (void *)(intptr_t)ls), 0);

    pid_t client = fork();
    if (client == 0) {
        unsetenv("LD_PRELOAD"); /* the load runs natively */
        execl(argv[1], argv[1], port, argv[2], argv[3], argv[4], (char *)NULL);
        _exit(127);
    }
    int max_threads = 0, max_workers = 0, status;
    while (waitpid(client, &status, WNOHANG) == 0) {
        int k = kernel_threads(), w = io_workers();
        max_threads = k > max_threads ? k : max_threads;
        max_workers = w > max_workers ? w : max_workers;
        usleep(20 * 1000);
    }
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the client failed (status %d)", status);
    fprintf(stderr, "connections at once: %d; kernel threads at most %d (io_uring workers %d)\n",
            atomic_load(&max_open), max_threads, max_workers);
    if (under_mnrt()) {
        int limit = mnrt_procs() + 8;
        CHECK(max_threads <= limit, "%d kernel threads for %d connections (limit %d)",
              max_threads, conns, limit);
    }
    printf("echo: %s connections x %s messages x %s bytes, every byte checked\n", argv[2],
           argv[3], argv[4]);
    return 0;
}
