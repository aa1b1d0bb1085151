/* The dtv (glibc's dynamic thread vector: one entry per TLS module, the
 * address of that module's block for the thread) of a G's TCB, kept in
 * memory mnrt owns: the G's mapping (core/gblock.h), so that a parked
 * thread's dtv costs no malloc'ed memory and goes with the mapping.
 *
 * glibc makes a thread's dtv with calloc (its length first, the TCB
 * header pointing past it), reallocs it when the thread uses a module
 * whose id exceeds that length (_dl_resize_dtv, from __tls_get_addr or
 * dlopen) and frees it with the thread (_dl_deallocate_tls, which mnrt
 * never calls for a G). So a dtv in mnrt's memory must never need to
 * grow: it has room for as many modules as mnrt allows (slots), and a
 * module id beyond the room of the dtvs made is a fatal error
 * (mn_dtv_note_modules, at boot and after each dlopen).
 *
 * How a G's TLS is set up (compat/tcb.c) and why: glibc initialises a
 * thread's dtv and static TLS images in _dl_allocate_tls_init(tcb, flag),
 * which would fill a dtv installed beforehand in place (it grows only one
 * shorter than the highest module id), but whose flag means different
 * things per version: glibc 2.31 takes none; 2.36 `init_tls` (true for a
 * new thread: copy also the images of modules in other namespaces); 2.41
 * `main_thread` (false for a new thread; true skips other namespaces'
 * images and clears each module's l_need_tls_init, a global). Nothing
 * tells them apart without a module loaded into another namespace
 * (dlmopen, audit modules), so mnrt passes no flag: it calls
 * _dl_allocate_tls(tcb), which passes each version's own for a new thread
 * on reused memory, and which callocs a fresh dtv (allocate_dtv) and
 * installs it; mn_dtv_adopt then copies that dtv's entries into the G's
 * own, and frees glibc's. One calloc and free per thread start, nothing
 * kept.
 *
 * What set-up wrote is noted beside the dtv, in the entry before its
 * length: the highest entry it wrote and the dtv's generation then.
 *
 * Invariants:
 * - A G's dtv holds no pointer to a freed block (to_free) beyond the
 *   entries glibc wrote at its set-up: glibc would free it again when it
 *   updates the dtv for a module loaded later (_dl_update_slotinfo).
 *   mn_dtv_free_blocks and mn_dtv_adopt reach every entry that may have
 *   been written: up to the one noted at set-up while the generation is
 *   the one noted then (glibc writes entries beyond only when a module
 *   loaded since is used, and then changes the generation first), else
 *   the whole room.
 * - So only the entries that may be in use are touched: a process with
 *   few TLS modules touches the dtv's first entries, which share the
 *   TCB's page (core/gblock.c). */
#ifndef MN_COMPAT_DTV_H
#define MN_COMPAT_DTV_H

#include <stdbool.h>
#include <stddef.h>

/* glibc's dtv entry (elf/dl-tls.h): [-1] the length, [0] the generation,
 * [i] module i's block. */
typedef union {
    size_t counter;
    struct {
        void *val;
        void *to_free;
    } pointer;
} mn_dtv_t;

/* Makes zeroed memory of slots + 3 entries a dtv with room for slots
 * modules; returns what the TCB header points at (mem + 2). */
mn_dtv_t *mn_dtv_prepare(mn_dtv_t *mem, size_t slots);

/* Copies the dtv glibc made (`made`, from the TCB header after
 * _dl_allocate_tls) into `own` (both as the header points at them), then
 * frees glibc's. */
void mn_dtv_adopt(mn_dtv_t *own, mn_dtv_t *made);

/* Frees the dynamic TLS blocks of a finished G's dtv (glibc's thread exit
 * does it in _dl_deallocate_tls), marking them unallocated: allocated
 * anew if the G runs code that uses them. */
void mn_dtv_free_blocks(mn_dtv_t *dtv);

/* After the modules loaded changed (boot, dlopen): notes the highest TLS
 * module id; fatal beyond the room of the dtvs made. */
void mn_dtv_note_modules(void);

/* Whether a dtv with room for slots modules holds every module noted. */
bool mn_dtv_fits(size_t slots);

#endif
