/* A program is single-threaded until it makes its first thread, under
 * mnrt as natively: glibc's __libc_single_threaded is still set in main
 * (glibc then takes no locks in stdio and malloc, and libstdc++ counts
 * shared_ptr references without atomics), and is cleared once the first
 * thread is made - with pthread_create, or thrd_create when the argument
 * is "c11" - and not before, when main sleeps or waits for input on a
 * pipe. A child forked before any thread starts single-threaded too and
 * makes threads of its own. Then threads that share a stream and
 * malloc must find both locked: each writes its lines whole and the
 * counts add up.
 * Under mnrt the check on a thread glibc made ran at boot, so glibc
 * counted two threads before main: main saw 0 (and putc cost half again
 * as much as natively); then mnrt's monitor thread, made at the first
 * wait for input, ended that mode. */
#include "check.h"

#include <string.h>
#include <sys/wait.h>
#include <threads.h>

enum { WRITERS = 4, LINES = 2000 };

static FILE *shared;

/* glibc's own __libc_single_threaded, found by name (2.32+; -1 before) */
static int single_threaded(void)
{
    const char *v = dlsym(RTLD_DEFAULT, "__libc_single_threaded");
    return v ? *v : -1;
}

static void *writer(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < LINES; i++) {
        char *p = malloc(64 + (size_t)i % 512);
        CHECK(p != NULL, "malloc");
        fprintf(shared, "writer %ld line %d\n", id, i);
        free(p);
    }
    return NULL;
}

static int writer_c11(void *arg)
{
    writer(arg);
    return 0;
}

static void *nothing(void *arg)
{
    return arg;
}

/* Makes the first thread, as `how` says, and waits for it. */
static void first_thread(const char *how)
{
    if (strcmp(how, "c11") == 0) {
        thrd_t t;
        CHECK(thrd_create(&t, writer_c11, (void *)0L) == thrd_success, "thrd_create");
        CHECK(thrd_join(t, NULL) == thrd_success, "thrd_join");
    } else {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, writer, (void *)0L), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
    }
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "pthread";
    printf("main: single-threaded %d\n", single_threaded());
    fflush(stdout);

    pid_t pid = fork();
    CHECK(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        printf("child: single-threaded %d\n", single_threaded());
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, nothing, NULL), 0);
        CHECK_EQ(pthread_join(t, NULL), 0);
        printf("child after a thread: single-threaded %d\n", single_threaded());
        fflush(stdout);
        _exit(0);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);

    nanosleep(&(struct timespec){0, 1000000}, NULL);
    wait_for_child_input(50);
    printf("after a sleep and a wait for input: single-threaded %d\n", single_threaded());

    char *text = NULL;
    size_t len = 0;
    shared = open_memstream(&text, &len);
    CHECK(shared != NULL, "open_memstream");
    first_thread(how);
    printf("after the first thread: single-threaded %d\n", single_threaded());

    pthread_t t[WRITERS];
    for (long i = 1; i < WRITERS; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    for (int i = 1; i < WRITERS; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    CHECK_EQ(fclose(shared), 0);

    int lines[WRITERS] = {0};
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        long id;
        int n;
        CHECK(sscanf(line, "writer %ld line %d", &id, &n) == 2 && id >= 0 && id < WRITERS,
              "a torn line: %s", line);
        CHECK(n == lines[id], "writer %ld: line %d after %d", id, n, lines[id]); /* in order */
        lines[id]++;
    }
    for (int i = 0; i < WRITERS; i++)
        printf("writer %d: %d lines\n", i, lines[i]);
    free(text);
    return 0;
}
