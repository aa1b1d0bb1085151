/* A fixture for boot_refusals, preloaded in front of libmnrt.so: it
 * pretends the glibc is another one, as the environment variable
 * FIXTURE_GLIBC says: "version" (gnu_get_libc_version answers 2.99) or
 * "layout" (libthread_db's description of struct pthread gives a size
 * that cannot be). mnrt must then refuse to boot, say why, and run the
 * program natively. */
#include <gnu/libc-version.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *gnu_get_libc_version(void)
{
    const char *what = getenv("FIXTURE_GLIBC");
    return what && strcmp(what, "version") == 0 ? "2.99" : "2.36";
}

const uint32_t _thread_db_sizeof_pthread = 16;
