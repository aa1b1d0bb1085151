/* A library whose constructor registers fork handlers: fork_handlers
 * loads it, unloads it, and forks: the handlers must have gone with it
 * (their code is unmapped). */
#include <pthread.h>
#include <stdio.h>

static void lib_prepare(void)
{
    fprintf(stderr, "atfork_lib: prepare handler of an unloaded library ran\n");
}

__attribute__((constructor)) static void register_handlers(void)
{
    pthread_atfork(lib_prepare, lib_prepare, lib_prepare);
}
