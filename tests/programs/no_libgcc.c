/* mnrt brings no shared library into a program besides its own: a C
 * program that does not use libgcc_s (as this one) does not have it
 * mapped under mnrt either. Loading it cost every start of a program
 * under mnrt 40-100 us; mnrt's cleanups forward to the unwinder only when
 * an unwind passes through them (compat/unwind_forward.c). Then a thread
 * leaves a pthread_once routine by pthread_exit, which makes glibc load
 * libgcc_s: the unwind passes through mnrt's pthread_once, whose cleanup
 * lets the next caller run the routine. */
#include "check.h"

#include <stdbool.h>

static bool libgcc_mapped(void)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    CHECK(maps != NULL, "fopen: %s", strerror(errno));
    char line[512];
    bool found = false;
    while (fgets(line, sizeof line, maps))
        found |= strstr(line, "/libgcc_s.so") != NULL;
    fclose(maps);
    return found;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int runs;

static void routine(void)
{
    if (++runs == 1)
        pthread_exit(NULL);
}

static void *first_caller(void *arg)
{
    (void)arg;
    pthread_once(&once, routine);
    return NULL;
}

int main(void)
{
    printf("libgcc_s mapped at start: %s\n", libgcc_mapped() ? "yes" : "no");
    pthread_t t;
    CHECK_EQ(pthread_create(&t, NULL, first_caller, NULL), 0);
    CHECK_EQ(pthread_join(t, NULL), 0);
    CHECK_EQ(pthread_once(&once, routine), 0);
    printf("the routine ran %d times; libgcc_s mapped after the unwind: %s\n", runs,
           libgcc_mapped() ? "yes" : "no");
    return 0;
}
