/* A program that loads a runtime mnrt does not serve yet (a library named
 * as the Java VM's: shim/unsupported_runtime.h) before its first thread:
 * its threads must be glibc's, said once on stderr ("the Java VM
 * (libjvm.so) is not supported yet; new threads run natively", checked by
 * the runner), and work as natively: they run, are joined, and return
 * their results.
 * usage: unsupported_runtime PATH-TO-libjvm.so */
#include "check.h"

static void *square(void *arg)
{
    long n = (long)arg;
    return (void *)(n * n);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: unsupported_runtime PATH-TO-libjvm.so");
    void *vm = dlopen(argv[1], RTLD_NOW);
    CHECK(vm != NULL, "dlopen %s: %s", argv[1], dlerror());
    pthread_t t[8];
    for (long i = 0; i < 8; i++)
        CHECK_ERR(pthread_create(&t[i], NULL, square, (void *)i), 0);
    long sum = 0;
    for (int i = 0; i < 8; i++) {
        void *r;
        CHECK_ERR(pthread_join(t[i], &r), 0);
        sum += (long)r;
    }
    printf("8 threads beside a Java VM's library: sum of squares %ld\n", sum);
    return 0;
}
