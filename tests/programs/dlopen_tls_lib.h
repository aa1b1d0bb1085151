/* dlopen_tls_lib.c's interface, which dlopen_tls.c looks up with dlsym
 * (the types of its function pointers). */
#ifndef MNRT_TEST_DLOPEN_TLS_LIB_H
#define MNRT_TEST_DLOPEN_TLS_LIB_H

int tls_lib_initial(void);
void tls_lib_set(long v);
int tls_lib_has(long v);

#endif
