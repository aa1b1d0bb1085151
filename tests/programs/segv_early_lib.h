/* segv_early_lib.c: a library linked by segv_kinds whose constructor
 * installs a SIGSEGV handler before mnrt boots. */
#ifndef MNRT_TEST_SEGV_EARLY_LIB_H
#define MNRT_TEST_SEGV_EARLY_LIB_H

#include <signal.h>

/* Called so that the library is linked. */
void segv_early_lib_linked(void);
/* The handler it installs (the program installs it too, late). */
void segv_report(int sig, siginfo_t *info, void *ctx);

#endif
