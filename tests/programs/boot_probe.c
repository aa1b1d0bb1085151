/* What boot_refusals runs: a program that makes 4 threads, each adding to
 * a counter under a mutex, and prints the result, or what pthread_create
 * said when it could not make a thread (under a thread limit). With an
 * argument it first dlopen's that library (libmnrt.so loaded too late). */
#include "check.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int total;

static void *add(void *arg)
{
    pthread_mutex_lock(&mu);
    total += (int)(intptr_t)arg;
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        CHECK(dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) != NULL, "dlopen: %s", dlerror());
    pthread_t t[4];
    int made = 0;
    for (int i = 0; i < 4; i++) {
        int err = pthread_create(&t[i], NULL, add, (void *)(intptr_t)(i + 1));
        if (err) {
            printf("pthread_create: %s\n", errname(err));
            break;
        }
        made++;
    }
    for (int i = 0; i < made; i++)
        CHECK_ERR(pthread_join(t[i], NULL), 0);
    printf("%d threads added up to %d\n", made, total);
    return 0;
}
