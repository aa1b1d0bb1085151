/* A SIGSEGV ends the process as natively, whether it is real or sent, and
 * a program's own SIGSEGV handler runs for both. usage:
 *   segv_kinds HOW WHERE [HANDLER]
 * HOW: raise | kill | pthread_kill | null (a real NULL dereference);
 * WHERE: main | thread (the main thread, or a thread it made);
 * HANDLER: none (default), early (installed by segv_early_lib's
 * constructor, which runs before libmnrt's) or late (installed by main).
 * With a handler, it prints what it got and exits with status 3; without
 * one, the process must die of SIGSEGV (the runner checks how it ended).
 * Core dumps are turned off so that the crash stays quick. */
#include "check.h"
#include "segv_early_lib.h"

#include <signal.h>
#include <sys/resource.h>

static const char *how;

static void *crash(void *arg)
{
    (void)arg;
    printf("crashing by %s\n", how);
    fflush(stdout);
    if (strcmp(how, "raise") == 0)
        raise(SIGSEGV);
    else if (strcmp(how, "kill") == 0)
        kill(getpid(), SIGSEGV);
    else if (strcmp(how, "pthread_kill") == 0)
        pthread_kill(pthread_self(), SIGSEGV);
    else
        *(volatile int *)(uintptr_t)arg = 1; /* arg is NULL */
    printf("still alive after %s\n", how);
    return NULL;
}

int main(int argc, char **argv)
{
    CHECK(argc >= 3, "usage: segv_kinds raise|kill|pthread_kill|null main|thread [none|early|late]");
    segv_early_lib_linked();
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    how = argv[1];
    if (argc > 3 && strcmp(argv[3], "late") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = segv_report;
        sa.sa_flags = SA_SIGINFO;
        CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
    }
    if (strcmp(argv[2], "thread") == 0) {
        pthread_t t;
        CHECK_EQ(pthread_create(&t, NULL, crash, NULL), 0);
        pthread_join(t, NULL);
    } else {
        crash(NULL);
    }
    printf("the process lives on\n");
    return 0;
}
