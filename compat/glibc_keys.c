/* glibc's own thread-specific data in a G's TCB: see glibc_keys.h. */
#include "compat/glibc_keys.h"

#include "compat/glibc_syms.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct {
    const char *keys;           /* __pthread_keys */
    size_t nkeys, key_size, key_seq, key_destr;
    size_t data_size, data_seq, data_data;
    size_t level2;              /* entries per second-level block */
    size_t specific, level1;    /* struct pthread.specific, its entries */
} K;

/* The descriptor {bits, count, offset} of name, or NULL (then *why says
 * which). */
static const uint32_t *desc(const char *name, const char **why)
{
    const uint32_t *d = mn_glibc_data(name);
    if (!d && !*why)
        *why = name;
    return d;
}

const char *mn_glibc_keys_boot(void)
{
    const char *why = NULL;
    const uint32_t *keys = desc("_thread_db___pthread_keys", &why);
    const uint32_t *key_size = desc("_thread_db_sizeof_pthread_key_struct", &why);
    const uint32_t *key_seq = desc("_thread_db_pthread_key_struct_seq", &why);
    const uint32_t *key_destr = desc("_thread_db_pthread_key_struct_destr", &why);
    const uint32_t *data_size = desc("_thread_db_sizeof_pthread_key_data", &why);
    const uint32_t *data_seq = desc("_thread_db_pthread_key_data_seq", &why);
    const uint32_t *data_data = desc("_thread_db_pthread_key_data_data", &why);
    const uint32_t *level2 = desc("_thread_db_pthread_key_data_level2_data", &why);
    const uint32_t *specific = desc("_thread_db_pthread_specific", &why);
    K.keys = mn_glibc_data("__pthread_keys");
    if (!why && !K.keys)
        why = "__pthread_keys";
    if (why)
        return "glibc does not describe its thread-specific data";
    K.nkeys = keys[1];
    K.key_size = *key_size;
    K.key_seq = key_seq[2];
    K.key_destr = key_destr[2];
    K.data_size = *data_size;
    K.data_seq = data_seq[2];
    K.data_data = data_data[2];
    K.level2 = level2[1];
    K.specific = specific[2];
    K.level1 = specific[0] / (8 * sizeof(void *)); /* an array of pointers, whole */
    if (keys[0] != 8 * K.key_size || level2[0] != 8 * K.data_size ||
        K.level1 * K.level2 != K.nkeys || key_seq[0] != 8 * sizeof(uintptr_t) ||
        data_seq[0] != 8 * sizeof(uintptr_t) || key_destr[0] != 8 * sizeof(void *) ||
        data_data[0] != 8 * sizeof(void *) || specific[0] % (8 * sizeof(void *)) != 0)
        return "glibc's thread-specific data is not laid out as its descriptors say";
    return NULL;
}

#define AT(base, off, type) (*(type *)((char *)(base) + (off)))

typedef void (*destructor)(void *);

/* One round over the values; returns whether a destructor ran. */
static bool destroy_round(char *tcb)
{
    bool ran = false;
    for (size_t i = 0; i < K.level1; i++) {
        char *block = ((char **)(tcb + K.specific))[i];
        for (size_t j = 0; block && j < K.level2; j++) {
            char *entry = block + j * K.data_size;
            void *data = AT(entry, K.data_data, void *);
            if (!data)
                continue;
            AT(entry, K.data_data, void *) = NULL;
            const char *key = K.keys + (i * K.level2 + j) * K.key_size;
            destructor destr = AT(key, K.key_destr, destructor);
            if (AT(entry, K.data_seq, uintptr_t) == AT(key, K.key_seq, uintptr_t) && destr) {
                destr(data);
                ran = true;
            }
        }
    }
    return ran;
}

/* Whether glibc ever made a key: it takes the lowest free one, so key 0's
 * sequence number is 0 until then. A G can hold a value only for a key
 * made before it stored it, so its own exit sees that key. */
static bool glibc_made_keys(void)
{
    return atomic_load_explicit((_Atomic uintptr_t *)(K.keys + K.key_seq),
                                memory_order_acquire) != 0;
}

void mn_glibc_keys_free(char *tcb)
{
    if (!glibc_made_keys())
        return; /* glibc 2.32+ makes none: no values, no blocks */
    char **level1 = (char **)(tcb + K.specific);
    for (int round = 1; destroy_round(tcb); round++)
        if (round == PTHREAD_DESTRUCTOR_ITERATIONS) { /* what destructors set stays unseen */
            memset(level1[0], 0, K.level2 * K.data_size);
            break;
        }
    for (size_t i = 1; i < K.level1; i++) { /* 0: specific_1stblock, in the TCB */
        free(level1[i]);
        level1[i] = NULL;
    }
}
