/* A thread blocked in stdio's own read (fgets on a pipe: glibc makes the
 * system call inline) gets a signal: with a handler without SA_RESTART,
 * fgets fails with EINTR; with SA_RESTART it goes on and returns the
 * line written after the signal. Then one is cancelled there (read is a
 * cancellation point): it ends as PTHREAD_CANCELED. Run with one P, under mnrt the blocked
 * read is converted into a park on the fd (core/inline_wait.h; the test
 * waits until mnrt_get_stats counts it), so the signal ends a park, not
 * a system call, and the result must still be the kernel's. Natively the
 * test waits until the thread sleeps in read (/proc). */
#include "check.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>

static FILE *in;
static int pipe_fds[2];
static atomic_int reader_tid, handled;
static char got[64];
static int got_errno;
static bool got_line;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&handled, 1);
}

static void *reader(void *arg)
{
    (void)arg;
    atomic_store(&reader_tid, (int)syscall(SYS_gettid));
    errno = 0;
    got_line = fgets(got, sizeof got, in) != NULL;
    got_errno = errno;
    return NULL;
}

static long long converted_waits(void)
{
    struct mnrt_stats st;
    memset(&st, 0, sizeof st);
    st.size = sizeof st;
    int (*get)(struct mnrt_stats *) =
        (int (*)(struct mnrt_stats *))dlsym(RTLD_DEFAULT, "mnrt_get_stats");
    CHECK(get && get(&st) == 0, "mnrt_get_stats");
    return st.converted_waits;
}

/* Natively: whether kernel thread tid sleeps in read(2). */
static bool sleeps_in_read(int tid)
{
    char path[64], buf[128] = "";
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool r = fgets(buf, sizeof buf, f) && strncmp(buf, "0 ", 2) == 0;
    fclose(f);
    return r;
}

/* Waits until the reader sleeps in its read: under mnrt, until sysmon
 * converted it (a park) while this thread sleeps. */
static void wait_until_blocked(long long converted_before)
{
    WAIT_UNTIL(atomic_load(&reader_tid) != 0);
    if (under_mnrt())
        WAIT_UNTIL(converted_waits() > converted_before);
    else
        WAIT_UNTIL(sleeps_in_read(atomic_load(&reader_tid)));
}

static void one_case(bool restart)
{
    CHECK(pipe(pipe_fds) == 0, "pipe: %s", strerror(errno));
    in = fdopen(pipe_fds[0], "r");
    CHECK(in != NULL, "fdopen");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
    atomic_store(&reader_tid, 0);
    atomic_store(&handled, 0);
    long long before = under_mnrt() ? converted_waits() : 0;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, reader, NULL), 0);
    wait_until_blocked(before);
    CHECK_EQ(pthread_kill(t, SIGUSR1), 0);
    WAIT_UNTIL(atomic_load(&handled) == 1);
    if (restart)
        CHECK(write(pipe_fds[1], "after the signal\n", 17) == 17, "write");
    CHECK_EQ(pthread_join(t, NULL), 0);
    if (restart) {
        CHECK(got_line, "fgets failed: %s", strerror(got_errno));
        printf("SA_RESTART: fgets went on and read: %s", got);
    } else {
        CHECK(!got_line && got_errno == EINTR && ferror(in), "fgets: %d, %s", got_line,
              strerror(got_errno));
        printf("no SA_RESTART: fgets failed with EINTR\n");
    }
    fclose(in);
    close(pipe_fds[1]);
}

static void cancel_case(void)
{
    CHECK(pipe(pipe_fds) == 0, "pipe: %s", strerror(errno));
    in = fdopen(pipe_fds[0], "r");
    CHECK(in != NULL, "fdopen");
    atomic_store(&reader_tid, 0);
    long long before = under_mnrt() ? converted_waits() : 0;
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, reader, NULL), 0);
    wait_until_blocked(before);
    CHECK_EQ(pthread_cancel(t), 0);
    void *res;
    CHECK_EQ(pthread_join(t, &res), 0);
    CHECK(res == PTHREAD_CANCELED, "not cancelled");
    printf("cancelled in fgets\n");
    close(pipe_fds[1]);
    /* the stream's lock was let go by the unwinding */
    CHECK(fgets(got, sizeof got, in) == NULL && feof(in), "fgets after the cancel");
    fclose(in);
}

int main(void)
{
    one_case(false);
    one_case(true);
    cancel_case();
    return 0;
}
