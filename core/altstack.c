/* The Ms' alternate signal stacks: see altstack.h. */
#include "core/altstack.h"

#include "compat/raw_syscall.h"
#include "core/runtime.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define MIN_SIZE (64 * 1024) /* an AVX-512 signal frame alone is ~3 KB */

/* the kernel's sigaltstack: libmnrt's own name is the program's (shim) */
static int set_stack(const stack_t *ss, stack_t *old)
{
    return mn_raw_syscall(SYS_sigaltstack, ss, old) == 0 ? 0 : -1;
}

static void *map(size_t size)
{
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return mem == MAP_FAILED ? NULL : mem;
}

void mn_altstack_init(struct mn_m *m)
{
    void *mem = map(MIN_SIZE);
    if (!mem)
        return; /* no overflow report on this M, nothing worse */
    stack_t ss = {.ss_sp = mem, .ss_size = MIN_SIZE, .ss_flags = 0};
    if (set_stack(&ss, NULL) != 0) {
        munmap(mem, MIN_SIZE);
        return;
    }
    m->altstack = mem;
    m->altstack_size = MIN_SIZE;
}

bool mn_altstack_holds(const mn_m *m, uintptr_t addr)
{
    return m->altstack && addr - (uintptr_t)m->altstack < m->altstack_size;
}

bool mn_altstack_running_on(const mn_m *m)
{
    char here;
    return mn_altstack_holds(m, (uintptr_t)&here);
}

void mn_altstack_fit(struct mn_m *m, size_t size)
{
    size_t page = mn_page_size();
    size = (size + page - 1) & ~(page - 1);
    stack_t cur;
    if (size <= m->altstack_size || set_stack(NULL, &cur) != 0 || (cur.ss_flags & SS_ONSTACK))
        return;
    void *mem = map(size);
    if (!mem)
        return;
    stack_t ss = {.ss_sp = mem, .ss_size = size, .ss_flags = 0};
    if (set_stack(&ss, NULL) != 0) {
        munmap(mem, size);
        return;
    }
    if (m->altstack)
        munmap(m->altstack, m->altstack_size);
    m->altstack = mem;
    m->altstack_size = size;
}

void mn_altstack_forget(struct mn_m *m)
{
    if (m->altstack)
        munmap(m->altstack, m->altstack_size);
    m->altstack = NULL;
    m->altstack_size = 0;
}

void mn_altstack_free(struct mn_m *m)
{
    if (!m->altstack)
        return;
    stack_t off = {.ss_flags = SS_DISABLE};
    set_stack(&off, NULL);
    mn_altstack_forget(m);
}
