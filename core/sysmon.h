/* sysmon (DESIGN.md §7): one kernel thread without a P. For now it prints
 * the scheduler trace (MNRT_DEBUG=schedtrace=MS[,scheddetail=1]) in Go's
 * format; it is started only when the trace is asked for. */
#ifndef MN_CORE_SYSMON_H
#define MN_CORE_SYSMON_H

#include <stdbool.h>

void mn_sysmon_start(void);
bool mn_sysmon_running(void);
/* Prints one trace line (and details) on stderr now. */
void mn_schedtrace(bool detail);

#endif
