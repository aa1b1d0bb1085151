/* burst_release_lib.c's interface, which burst_release.c looks up with
 * dlsym (the types of its function pointers). */
#ifndef MNRT_TEST_BURST_RELEASE_LIB_H
#define MNRT_TEST_BURST_RELEASE_LIB_H

int dyn_tls_initial(void);
void dyn_tls_set(int v);
int dyn_tls_get(void);

#endif
