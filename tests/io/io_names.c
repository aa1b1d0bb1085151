/* The exported I/O names no other test program calls, each used the way
 * a program relies on it, with what it returns printed (identical natively
 * and under the preload: tests/run_program.py compares them). Built with
 * _FORTIFY_SOURCE=2, as Debian builds its programs: read, recv, recvfrom,
 * pread, poll and ppoll on buffers of known size become glibc's __*_chk
 * names, and open and openat with flags known only at run time __open_2
 * and __openat_2; the plain names are called through buffers whose size
 * the compiler cannot see, and without _FILE_OFFSET_BITS=64, whose
 * open64 and freopen64 it calls by name. Calls that wait do so for another thread:
 * recvmmsg, epoll_pwait, epoll_pwait2, ppoll and pselect until a writer
 * writes, accept4 until a client connects, sendfile and splice while a
 * reader drains, the wait family until children end.
 * tests/exported_io_tested.py fails when an exported I/O name is called by
 * no test program: this one is where a new name gets its test. */
#include "check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

/* p, with its size hidden from _FORTIFY_SOURCE: the plain name is called */
static void *opaque(void *p)
{
    __asm__("" : "+r"(p));
    return p;
}

static char dir[64];

static void path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* x, known only at run time: a fortified call checks it (__*_chk) */
static int runtime(int x)
{
    return *(volatile int *)&x;
}

static void opens(void)
{
    char p[128];
    path(p, sizeof p, "a");
    int fd = creat(p, 0600);
    CHECK(fd >= 0, "creat: %s", strerror(errno));
    CHECK_EQ(write(fd, "hello world", 11), 11);
    close(fd);
    int fds[5];
    fds[0] = open(p, O_RDONLY);
    fds[1] = open64(p, O_RDONLY);
    fds[2] = open(p, runtime(O_RDONLY));                /* __open_2 */
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    fds[3] = openat(d, "a", O_RDONLY);
    fds[4] = openat(d, "a", runtime(O_RDONLY));         /* __openat_2 */
    int f64 = openat64(d, "a", O_RDONLY);
    CHECK(f64 >= 0, "openat64: %s", strerror(errno));
    char b64[8] = {0};
    struct iovec v[2] = {{b64, 2}, {b64 + 2, 3}};
    printf("readv: %zd %s\n", readv(f64, v, 2), b64);
    close(f64);
    for (int i = 0; i < 5; i++) {
        char b[16] = {0};
        CHECK(fds[i] >= 0, "open %d: %s", i, strerror(errno));
        CHECK_EQ(read(fds[i], b, runtime(5)), 5); /* __read_chk */
        printf("open %d: %s\n", i, b);
        close(fds[i]);
    }
    errno = 0;
    int r = open(p, runtime(O_RDONLY | O_CREAT | O_EXCL), 0600);
    printf("open O_EXCL of an existing file: %d %s\n", r, errname(errno));
    errno = 0;
    r = openat(d, "missing", runtime(O_RDONLY));
    printf("openat of a missing file: %d %s\n", r, errname(errno));
    close(d);
}

static void positional(void)
{
    char p[128];
    path(p, sizeof p, "b");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_EQ(pwrite(fd, "0123456789", 10, 0), 10);
    printf("fsync: %d, fdatasync: %d\n", fsync(fd), fdatasync(fd));
    printf("sync_file_range: %d, waiting: %d, syncfs: %d\n",
           sync_file_range(fd, 0, 10, SYNC_FILE_RANGE_WRITE),
           sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                         SYNC_FILE_RANGE_WAIT_AFTER),
           syncfs(fd));
    char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(map != MAP_FAILED, "mmap: %s", errname(errno));
    map[0] = 'x';
    printf("msync: %d, async: %d", msync(map, 4096, MS_SYNC), msync(map, 4096, MS_ASYNC));
    int r0 = msync(map + 1, 4096, MS_SYNC);
    printf(", unaligned: %d %s\n", r0, errname(errno));
    munmap(map, 4096);
    CHECK_EQ(pwrite(fd, "abc", 3, 4), 3);
    char known[8] = {0};
    CHECK_EQ(pread(fd, known, runtime(7), 2), 7); /* __pread_chk */
    char *hidden = opaque(calloc(1, 8));
    CHECK_EQ(pread(fd, hidden, 3, 7), 3);
    printf("pwrite/pread: %s %s, offset still %ld\n", known, hidden, (long)lseek(fd, 0, SEEK_CUR));
    int p2[2];
    CHECK_EQ(pipe(p2), 0);
    ssize_t r = pread(p2[0], known, 1, 0);
    printf("pread of a pipe: %zd %s\n", r, errname(errno));
    close(p2[0]);
    close(p2[1]);
    free(hidden);
    close(fd);
}

static void reopened(void)
{
    char p[128], q[128];
    path(p, sizeof p, "a");
    path(q, sizeof q, "c");
    FILE *f = fopen(q, "w");
    f = freopen(p, "r", f);
    CHECK(f != NULL, "freopen: %s", strerror(errno));
    char b[16] = {0};
    CHECK(fgets(b, sizeof b, f) != NULL, "fgets");
    printf("freopen: %s\n", b);
    f = freopen64(q, "w", f);
    CHECK(f != NULL, "freopen64: %s", strerror(errno));
    fputs("via freopen64", f);
    fclose(f);
    f = fopen(q, "r");
    CHECK(fgets(b, sizeof b, f) != NULL, "fgets");
    fclose(f);
    printf("freopen64: %s\n", b);
}

struct pair {
    int fd;
    int n;
};

static void *send_later(void *arg)
{
    struct pair *p = arg;
    usleep(20 * 1000); /* usually after the other thread waits: either order prints the same */
    for (int i = 0; i < p->n; i++)
        CHECK_EQ(write(p->fd, "m", 1), 1);
    return NULL;
}

static void waits_for_a_writer(void)
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    pthread_t t;
    struct pair one = {sv[1], 1};
    CHECK_EQ(pthread_create(&t, NULL, send_later, &one), 0);
    char bufs[2][8];
    struct iovec iov[2] = {{bufs[0], 8}, {bufs[1], 8}};
    struct mmsghdr mm[2] = {{.msg_hdr = {.msg_iov = &iov[0], .msg_iovlen = 1}},
                            {.msg_hdr = {.msg_iov = &iov[1], .msg_iovlen = 1}}};
    int r = recvmmsg(sv[0], mm, 2, MSG_WAITFORONE, NULL);
    printf("recvmmsg (waited for one): %d, %u bytes\n", r, mm[0].msg_len);
    pthread_join(t, NULL);
    struct mmsghdr out[3];
    struct iovec oiov[3] = {{"x", 1}, {"yy", 2}, {"zzz", 3}};
    for (int i = 0; i < 3; i++)
        out[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &oiov[i], .msg_iovlen = 1}};
    printf("sendmmsg: %d\n", sendmmsg(sv[1], out, 3, 0));
    r = recvmmsg(sv[0], mm, 2, MSG_DONTWAIT, NULL);
    printf("recvmmsg: %d, %u and %u bytes\n", r, mm[0].msg_len, mm[1].msg_len);
    char known[8];
    CHECK_EQ(recv(sv[0], known, runtime(sizeof known), 0), 3); /* __recv_chk */
    CHECK_EQ(write(sv[1], "abcd", 4), 4);
    struct sockaddr_un from;
    socklen_t fl = sizeof from;
    printf("recvfrom: %zd\n", recvfrom(sv[0], known, runtime(sizeof known), 0,
                                       (struct sockaddr *)&from, &fl)); /* __recvfrom_chk */
    close(sv[0]);
    close(sv[1]);

    int p[2];
    CHECK_EQ(pipe(p), 0);
    int q[2];
    CHECK_EQ(pipe2(q, O_CLOEXEC), 0);
    printf("pipe2: close-on-exec %d\n", (fcntl(q[0], F_GETFD) & FD_CLOEXEC) != 0);
    close(q[0]);
    close(q[1]);
    sigset_t none;
    sigemptyset(&none);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = p[0]}, got[4];
    CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
    struct pair w = {p[1], 1};
    char b;
    CHECK_EQ(pthread_create(&t, NULL, send_later, &w), 0);
    r = epoll_pwait(ep, got, 4, -1, &none);
    printf("epoll_pwait: %d, fd %s\n", r, got[0].data.fd == p[0] ? "ours" : "other");
    pthread_join(t, NULL);
    CHECK_EQ(read(p[0], &b, 1), 1);
    struct timespec long_ts = {60, 0};
#if __GLIBC_PREREQ(2, 35) /* epoll_pwait2 is glibc 2.35's */
    CHECK_EQ(pthread_create(&t, NULL, send_later, &w), 0);
    struct timespec zero = {0, 0};
    r = epoll_pwait2(ep, got, 4, &long_ts, &none);
    printf("epoll_pwait2: %d\n", r);
    pthread_join(t, NULL);
    CHECK_EQ(read(p[0], &b, 1), 1);
    printf("epoll_pwait2, nothing there: %d\n", epoll_pwait2(ep, got, 4, &zero, NULL));
#endif
    close(ep);

    struct pollfd known_fds[1] = {{.fd = p[0], .events = POLLIN}};
    printf("poll, nothing there: %d\n", poll(known_fds, runtime(1), 10)); /* __poll_chk */
    CHECK_EQ(pthread_create(&t, NULL, send_later, &w), 0);
    printf("ppoll: %d\n", ppoll(known_fds, runtime(1), &long_ts, &none)); /* __ppoll_chk */
    pthread_join(t, NULL);
    CHECK_EQ(read(p[0], &b, 1), 1);
    struct pollfd *hidden = opaque(calloc(1, sizeof *hidden));
    *hidden = (struct pollfd){.fd = p[0], .events = POLLIN};
    CHECK_EQ(pthread_create(&t, NULL, send_later, &w), 0);
    r = ppoll(hidden, 1, NULL, NULL);
    printf("ppoll: %d, revents %#x\n", r, hidden->revents);
    pthread_join(t, NULL);
    CHECK_EQ(read(p[0], &b, 1), 1);
    free(hidden);

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    CHECK_EQ(pthread_create(&t, NULL, send_later, &w), 0);
    r = pselect(p[0] + 1, &rd, NULL, NULL, &long_ts, &none);
    printf("pselect: %d, readable %d\n", r, FD_ISSET(p[0], &rd));
    pthread_join(t, NULL);
    close(p[0]);
    close(p[1]);
}

static void *connect_later(void *arg)
{
    struct sockaddr_in *a = arg;
    usleep(20 * 1000);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_EQ(connect(c, (struct sockaddr *)a, sizeof *a), 0);
    CHECK_EQ(send(c, "hi", 2, 0), 2);
    CHECK_EQ(sendto(c, "!", 1, 0, NULL, 0), 1);
    struct iovec v = {"msg", 3};
    struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
    CHECK_EQ(sendmsg(c, &m, 0), 3);
    close(c);
    return NULL;
}

static void connections(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    CHECK_EQ(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(listen(ls, 4), 0);
    getsockname(ls, (struct sockaddr *)&a, &al);
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, connect_later, &a), 0);
    int s = accept4(ls, NULL, NULL, SOCK_CLOEXEC); /* waits for the connection */
    CHECK(s >= 0, "accept4: %s", strerror(errno));
    printf("accept4: close-on-exec %d\n", (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
    char *b = opaque(calloc(1, 16));
    struct iovec v = {b, 16};
    struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
    size_t got = 0;
    while (got < 6) { /* "hi", "!", "msg" in however many pieces */
        v.iov_base = b + got;
        v.iov_len = 16 - got;
        ssize_t r = got % 2 ? recvfrom(s, b + got, 16 - got, 0, NULL, NULL) : recvmsg(s, &m, 0);
        CHECK(r > 0, "recv: %zd %s", r, strerror(errno));
        got += (size_t)r;
    }
    printf("recvmsg/recvfrom: %s, then end of stream: %zd\n", b, recvfrom(s, b, 16, 0, NULL, NULL));
    pthread_join(t, NULL);
    free(b);
    close(s);
    close(ls);
}

static void *drain(void *arg)
{
    struct pair *p = arg;
    char b[4096];
    ssize_t r;
    while ((r = read(p->fd, b, sizeof b)) > 0)
        p->n += (int)r;
    return NULL;
}

static void sent_from_a_file(void)
{
    char p[128];
    path(p, sizeof p, "big");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    static char block[1 << 16];
    memset(block, 'q', sizeof block);
    for (int i = 0; i < 16; i++) /* 1 MiB: more than a socket buffer holds */
        CHECK_EQ(write(fd, block, sizeof block), (ssize_t)sizeof block);
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct pair r = {sv[1], 0};
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, drain, &r), 0);
    off_t off = 0;
    size_t left = 16 << 16;
    while (left > 0) {
        ssize_t n = sendfile(sv[0], fd, &off, left);
        CHECK(n > 0, "sendfile: %s", strerror(errno));
        left -= (size_t)n;
    }
    close(sv[0]);
    pthread_join(t, NULL);
    printf("sendfile: %d bytes arrived, offset %ld\n", r.n, (long)off);
    close(sv[1]);
    int pp[2];
    CHECK_EQ(pipe(pp), 0);
    struct pair pr = {pp[0], 0};
    CHECK_EQ(pthread_create(&t, NULL, drain, &pr), 0);
    off_t from = 0;
    left = 16 << 16;
    while (left > 0) { /* file -> pipe: waits while the pipe is full */
        ssize_t n = splice(fd, &from, pp[1], NULL, left, 0);
        CHECK(n > 0, "splice: %s", strerror(errno));
        left -= (size_t)n;
    }
    close(pp[1]);
    pthread_join(t, NULL);
    close(pp[0]);
    printf("splice: %d bytes arrived\n", pr.n);
    close(fd);
}

static void file_locks(void)
{
    char p[128];
    path(p, sizeof p, "lock");
    int fd = open(p, O_RDWR | O_CREAT, 0600);
    CHECK_EQ(lockf(fd, F_LOCK, 0), 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int f2 = open(p, O_RDWR);
        errno = 0;
        int r = lockf(f2, F_TLOCK, 0);
        printf("lockf from another process: %d %s\n", r, errname(errno));
        fflush(stdout);
        _exit(0);
    }
    int st;
    CHECK_EQ(waitpid(c, &st, 0), c);
    CHECK_EQ(lockf(fd, F_ULOCK, 0), 0);
    CHECK_EQ(flock(fd, LOCK_EX), 0);
    fflush(stdout);
    if ((c = fork()) == 0) {
        int f2 = open(p, O_RDWR);
        int r = flock(f2, LOCK_EX | LOCK_NB);
        printf("flock from another open file: %d %s\n", r, errname(errno));
        fflush(stdout);
        _exit(0);
    }
    CHECK_EQ(wait(&st), c);
    CHECK_EQ(flock(fd, LOCK_UN), 0);
    close(fd);
}

/* children ending with 3, 4 and 5: each wait call reaps one */
static void children(void)
{
    for (int i = 3; i <= 5; i++)
        if (fork() == 0) {
            usleep(10 * 1000);
            _exit(i);
        }
    int st, sum = 0;
    struct rusage ru;
    pid_t r = wait3(&st, 0, &ru);
    CHECK(r > 0, "wait3: %s", strerror(errno));
    sum += WEXITSTATUS(st);
    CHECK(wait4(-1, &st, 0, &ru) > 0, "wait4: %s", strerror(errno));
    sum += WEXITSTATUS(st);
    CHECK(wait(&st) > 0, "wait: %s", strerror(errno));
    sum += WEXITSTATUS(st);
    errno = 0;
    r = wait(&st);
    printf("wait3, wait4, wait: statuses summing to %d; then %d %s\n", sum, (int)r, errname(errno));
}

static void names(void)
{
    struct hostent *h = gethostbyname("localhost");
    printf("gethostbyname: %s\n", h ? h->h_name : hstrerror(h_errno));
    h = gethostbyname2("localhost", AF_INET);
    printf("gethostbyname2: %s, %d bytes\n", h ? h->h_name : hstrerror(h_errno),
           h ? h->h_length : 0);
    struct hostent he, *res = NULL;
    char buf[1024];
    int err = 0;
    int r = gethostbyname2_r("localhost", AF_INET, &he, buf, sizeof buf, &res, &err);
    printf("gethostbyname2_r: %d %s\n", r, res ? res->h_name : "none");
    struct in_addr lo = {htonl(INADDR_LOOPBACK)};
    h = gethostbyaddr(&lo, sizeof lo, AF_INET);
    printf("gethostbyaddr: %s\n", h ? "found" : "not found");
    res = NULL;
    r = gethostbyname_r("localhost", &he, buf, sizeof buf, &res, &err);
    printf("gethostbyname_r: %d %s\n", r, res ? res->h_name : "none");
    res = NULL;
    r = gethostbyaddr_r(&lo, sizeof lo, AF_INET, &he, buf, sizeof buf, &res, &err);
    printf("gethostbyaddr_r: %d %s\n", r, res ? "found" : "not found");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80), .sin_addr = lo};
    char host[64], serv[32];
    r = getnameinfo((struct sockaddr *)&sa, sizeof sa, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV);
    printf("getnameinfo: %d %s %s\n", r, host, serv);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/mnrt-io-names-XXXXXX");
    CHECK(mkdtemp(dir) != NULL, "mkdtemp: %s", strerror(errno));
    opens();
    positional();
    reopened();
    waits_for_a_writer();
    connections();
    sent_from_a_file();
    file_locks();
    children();
    names();
    const char *files[] = {"a", "b", "c", "big", "lock"};
    for (int i = 0; i < 5; i++) {
        char p[128];
        path(p, sizeof p, files[i]);
        unlink(p);
    }
    rmdir(dir);
    return 0;
}
