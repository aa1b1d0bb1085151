/* Runtimes mnrt does not serve yet: see unsupported_runtime.h. */
#include "shim/unsupported_runtime.h"

#include <link.h>
#include <stddef.h>
#include <string.h>

static const struct {
    const char *library; /* the file's name, without directories */
    const char *reason;
} unsupported[] = {
    {"libjli.so", "the Java VM (libjli.so) is not supported yet"},
    {"libjvm.so", "the Java VM (libjvm.so) is not supported yet"},
};

static int find(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    const char **reason = arg;
    const char *slash = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;
    const char *name = slash ? slash + 1 : info->dlpi_name;
    for (size_t i = 0; name && i < sizeof unsupported / sizeof *unsupported; i++) {
        if (strcmp(name, unsupported[i].library) == 0) {
            *reason = unsupported[i].reason;
            return 1;
        }
    }
    return 0;
}

const char *mn_unsupported_runtime(void)
{
    const char *reason = NULL;
    dl_iterate_phdr(find, &reason);
    return reason;
}
