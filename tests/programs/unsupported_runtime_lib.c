/* Stands in for the Java VM's library (built as libjvm.so) for
 * unsupported_runtime. */
int unsupported_runtime_lib_loaded(void);

int unsupported_runtime_lib_loaded(void)
{
    return 1;
}
