/* Linked into segv_kinds: its constructor runs before libmnrt's (a
 * preloaded library is initialised after the program's own libraries) and
 * installs the SIGSEGV handler when the program's third argument is
 * "early". The handler says what it got and exits with status 3. */
#include "segv_early_lib.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void segv_early_lib_linked(void)
{
}

void segv_report(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    char msg[96];
    int n = snprintf(msg, sizeof msg, "handler: signal %d, %s\n", sig,
                     info->si_code <= 0 ? "sent" : "a fault");
    write(1, msg, (size_t)n);
    _exit(3);
}

__attribute__((constructor)) static void install_early(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[3], "early") != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = segv_report;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
}
