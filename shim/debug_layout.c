/* mnrt_debug_layout: where a debugger finds the program's threads (Gs) in
 * the memory of a process or core file, for the gdb extension
 * (tools/gdb/mnrt.py) without debug information: a table of named
 * numbers, each an address (the lists of all Gs and Ms), the byte offset
 * and size of a field, a constant (the values of a G's status), or a
 * place in the frame mn_ctx_switch leaves on a parked G's stack
 * (core/context.h). The compiler that builds the structures fills it in,
 * so it is right for this very library; the dynamic symbol survives
 * `strip`.
 *
 * Invariants: names are only added (readers look them up by name and
 * say which they miss); the table holds no pointers but its address
 * values (relocated at load, so a core file has them in the library's
 * written data); it ends with an entry whose name is empty; the first
 * entry is "mnrt-debug-layout" with the table's version. */
#include "shim/pthread_impl.h"

#include "core/context.h"

#include <stddef.h>
#include <stdint.h>

struct mn_layout_entry {
    char name[32];
    uint64_t value;
    uint64_t size;    /* of the field at offset value; 0: not a field */
};

#define FIELD(s, prefix, f) {prefix #f, offsetof(s, f), sizeof(((s *)0)->f)}
#define CONST(name, v) {name, (uint64_t)(v), 0}

MN_EXPORT const struct mn_layout_entry mnrt_debug_layout[] = {
    CONST("mnrt-debug-layout", 1),
    {"allg", (uint64_t)(uintptr_t)&mn_sched.allg, sizeof mn_sched.allg},
    {"allm", (uint64_t)(uintptr_t)&mn_sched.allm, sizeof mn_sched.allm},
    {"procs", (uint64_t)(uintptr_t)&mn_sched.procs, sizeof mn_sched.procs},
    CONST("g.size", sizeof(mn_g)),
    FIELD(mn_g, "g.", allnext),
    FIELD(mn_g, "g.", id),
    FIELD(mn_g, "g.", status),
    FIELD(mn_g, "g.", name),
    FIELD(mn_g, "g.", m),
    FIELD(mn_g, "g.", sp),
    FIELD(mn_g, "g.", wait_reason),
    FIELD(mn_g, "g.", wait_obj),
    FIELD(mn_g, "g.", wait_num),
    FIELD(mn_g, "g.", syscall_depth),
    CONST("m.size", sizeof(mn_m)),
    FIELD(mn_m, "m.", allnext),
    FIELD(mn_m, "m.", id),
    FIELD(mn_m, "m.", tid),
    FIELD(mn_m, "m.", curg),
    FIELD(mn_m, "m.", p),
    FIELD(mn_p, "p.", status),
    CONST("status.idle", MN_G_IDLE),
    CONST("status.runnable", MN_G_RUNNABLE),
    CONST("status.running", MN_G_RUNNING),
    CONST("status.waiting", MN_G_WAITING),
    CONST("status.dead", MN_G_DEAD),
    CONST("ctx.r15", MN_CTX_R15),
    CONST("ctx.r14", MN_CTX_R14),
    CONST("ctx.r13", MN_CTX_R13),
    CONST("ctx.r12", MN_CTX_R12),
    CONST("ctx.rbx", MN_CTX_RBX),
    CONST("ctx.rbp", MN_CTX_RBP),
    CONST("ctx.rip", MN_CTX_RIP),
    CONST("ctx.size", MN_CTX_SIZE),
    {"", 0, 0},
};
