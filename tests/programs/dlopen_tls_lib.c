/* The library dlopen_tls.c loads late: thread-local variables in the
 * initial-exec model (static TLS, DF_STATIC_TLS), initialised (.tdata) and
 * zero (.tbss), as libraries built with -ftls-model=initial-exec for speed
 * have them. */
#include "dlopen_tls_lib.h"

#include <stdio.h>
#include <string.h>

#define IE __attribute__((tls_model("initial-exec")))

static IE __thread int tls_data = 12345;
static IE __thread char tls_text[16] = "initial";
static IE __thread long tls_bss;
static IE __thread long tls_bss_array[64];

/* 1 if this thread sees the initial values, else 0. */
int tls_lib_initial(void)
{
    if (tls_data != 12345 || strcmp(tls_text, "initial") != 0 || tls_bss != 0)
        return 0;
    for (int i = 0; i < 64; i++)
        if (tls_bss_array[i] != 0)
            return 0;
    return 1;
}

void tls_lib_set(long v)
{
    tls_data = (int)v;
    snprintf(tls_text, sizeof tls_text, "t%ld", v);
    tls_bss = v;
    tls_bss_array[v % 64] = v;
}

/* 1 if this thread still sees what tls_lib_set(v) stored. */
int tls_lib_has(long v)
{
    char want[16];
    snprintf(want, sizeof want, "t%ld", v);
    return tls_data == (int)v && strcmp(tls_text, want) == 0 && tls_bss == v &&
           tls_bss_array[v % 64] == v;
}
