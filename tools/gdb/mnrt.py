# mnrt's gdb extension: the program's threads (Gs) of a process or core
# file that runs under mnrt, which gdb alone sees only as the few kernel
# threads (Ms) that run them.
#
#   info mnrt-threads     every G: id, name, state, what it waits for
#   mnrt-thread N         G N's backtrace; `frame`, `up`, `info locals`
#                         then work in its frames
#   mnrt-thread           back to the kernel thread's own frames
#
# Loading: gdb loads this file by itself for libmnrt.so as
# libmnrt.so-gdb.py beside the library (the build tree, where gdb's
# `auto-load safe-path` must allow it) or from
# share/gdb/auto-load/<libdir>/ (`meson install`); `source` it otherwise.
#
# What it needs: the dynamic symbol mnrt_debug_layout of libmnrt.so
# (shim/debug_layout.c), a table of the addresses, field offsets and
# constants it reads, made by the compiler that built the library. No
# debug information of libmnrt.so is needed (a stripped library works);
# the program's own debug information makes `info locals` useful, as
# always.
#
# How a G's frames are shown: a running G (or one in a system call) is
# on its kernel thread: `mnrt-thread N` selects that gdb thread. A parked
# or runnable G left its registers in the frame mn_ctx_switch pushed on
# its stack (core/context.h). gdb cannot write a core file's registers,
# and writing a live thread's would run the G there if the process went
# on; so an unwinder (below) makes the innermost real frame of a gdb
# thread (the selected one, or the first that has registers) return into
# the G instead: that frame (#0, or with frames inlined at #0 the one
# they are in) stays the kernel thread's own place, the G's frames follow
# it, and the innermost of them is selected. The frame is given the place
# where the G switched away, below the G's frames: gdb ends a backtrace
# that goes to a frame below the one before it, and the G's stack may lie
# anywhere. Nothing of the process is changed; the view ends with
# `mnrt-thread` alone, with another `mnrt-thread N`, or when the process
# runs again.

import struct

import gdb
import gdb.unwinder

ENTRY = struct.Struct("<32sQQ")
SAVED = ("r15", "r14", "r13", "r12", "rbx", "rbp", "rip")
# waits whose number is an fd, a count of fds or a thread id (the others
# name an object, or nothing)
NUMBERED = ("fd read", "fd write", "accept", "connect", "epoll_wait", "poll", "thread join")


class Layout:
    """The table mnrt_debug_layout: name -> (value, size)."""

    def __init__(self, inferior):
        try:
            addr = int(gdb.parse_and_eval("(unsigned long)&mnrt_debug_layout"))
        except gdb.error:
            raise gdb.GdbError("mnrt: no mnrt_debug_layout here: libmnrt.so is not loaded "
                               "(or is older than this extension)")
        self.inferior = inferior
        self.entries = {}
        for i in range(1024):
            name, value, size = ENTRY.unpack(
                bytes(inferior.read_memory(addr + i * ENTRY.size, ENTRY.size)))
            name = name.split(b"\0", 1)[0].decode()
            if not name:
                break
            self.entries[name] = (value, size)
        if "mnrt-debug-layout" not in self.entries:
            raise gdb.GdbError("mnrt: mnrt_debug_layout does not start as expected")
        self.status_names = {v: k[len("status."):] for k, (v, _) in self.entries.items()
                             if k.startswith("status.")}

    def value(self, name):
        try:
            return self.entries[name][0]
        except KeyError:
            raise gdb.GdbError("mnrt: this libmnrt.so's mnrt_debug_layout has no %s" % name)

    def read(self, addr, size):
        return bytes(self.inferior.read_memory(addr, size))

    def int_at(self, addr, size, signed=False):
        fmt = {1: "b", 2: "h", 4: "i", 8: "q"}[size]
        return struct.unpack("<" + (fmt if signed else fmt.upper()), self.read(addr, size))[0]

    def field(self, buf, name, signed=False):
        off, size = self.entries.get(name, (None, None))
        if off is None:
            raise gdb.GdbError("mnrt: this libmnrt.so's mnrt_debug_layout has no %s" % name)
        fmt = {1: "b", 2: "h", 4: "i", 8: "q"}.get(size)
        if fmt is None:
            return buf[off:off + size]
        return struct.unpack_from("<" + (fmt if signed else fmt.upper()), buf, off)[0]

    def pointer(self, name):
        value, size = self.entries[name]
        return self.int_at(value, size)

    def string(self, addr, limit=200):
        if not addr:
            return None
        try:
            raw = self.read(addr, limit)
        except gdb.MemoryError:
            return "?"
        return raw.split(b"\0", 1)[0].decode(errors="replace")

    def structs(self, head_name, kind, limit=1 << 22):
        """The structures of a list (allg, allm), each as (address, bytes)."""
        size = self.value(kind + ".size")
        nxt = self.entries[kind + ".allnext"][0]
        addr, seen = self.pointer(head_name), set()
        while addr and addr not in seen and len(seen) < limit:
            seen.add(addr)
            buf = self.read(addr, size)
            yield addr, buf
            addr = struct.unpack_from("<Q", buf, nxt)[0]


class G:
    """What the extension knows of one G."""

    def __init__(self, layout, addr, buf, ms):
        f = layout.field
        self.addr = addr
        self.id = f(buf, "g.id", signed=True)
        self.name = f(buf, "g.name").split(b"\0", 1)[0].decode(errors="replace")
        self.status = layout.status_names.get(f(buf, "g.status"), "?")
        self.sp = f(buf, "g.sp")
        self.m = ms.get(f(buf, "g.m"))
        self.syscall = f(buf, "g.syscall_depth", signed=True) > 0
        self.reason = layout.string(f(buf, "g.wait_reason"))
        self.obj = f(buf, "g.wait_obj")
        self.num = f(buf, "g.wait_num", signed=True)

    def on_m(self):
        """Whether its registers are its M's kernel thread's."""
        return self.status == "running" and self.m is not None and self.m["curg"] == self.addr

    def state(self):
        if self.on_m():
            where = "M%d" % self.m["id"]
            if self.m["thread"] is not None:
                where += " (gdb thread %d)" % self.m["thread"].num
            if self.syscall:
                return "system call on " + where + \
                    ("" if self.m["holds_p"] else ", its P handed off")
            return "running on " + where + \
                ("" if self.m["holds_p"] else ", its P taken: blocked where mnrt does not see")
        if self.status == "running":
            return "running, between kernel threads"
        if self.status in ("runnable", "idle"):
            return "runnable"
        if self.status == "dead":
            return "exiting"
        if self.status == "waiting":
            what = self.reason or "waiting"
            if self.obj:
                what += " 0x%x" % self.obj
            elif what in NUMBERED:
                what += " %d" % self.num
            return "waiting: " + what
        return self.status


def threads_by_lwp(inferior):
    return {t.ptid[1]: t for t in inferior.threads()}


def held_by(layout, p, mid):
    """Whether the P at p is held by M mid (its status word names its
    owner: the M's id + 1); an M's p may name a P sysmon took from it."""
    off, size = layout.entries["p.status"]
    return layout.int_at(p + off, size) >> 32 == mid + 1


def load():
    """The layout and every G of the selected inferior."""
    inferior = gdb.selected_inferior()
    if inferior.pid == 0:
        raise gdb.GdbError("mnrt: no process (start or attach one, or load a core file)")
    layout = Layout(inferior)
    lwps = threads_by_lwp(inferior)
    ms = {}
    for addr, buf in layout.structs("allm", "m"):
        tid = layout.field(buf, "m.tid", signed=True)
        mid, p = layout.field(buf, "m.id", signed=True), layout.field(buf, "m.p")
        ms[addr] = {"id": mid, "tid": tid, "curg": layout.field(buf, "m.curg"),
                    "thread": lwps.get(tid), "holds_p": p != 0 and held_by(layout, p, mid)}
    gs = [G(layout, addr, buf, ms) for addr, buf in layout.structs("allg", "g")]
    gs.sort(key=lambda g: g.id)
    return layout, gs


class FrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


class View:
    """A parked G shown through a gdb thread: its innermost real frame (at
    sp, pc) returns into the G's saved registers."""

    def __init__(self, gid, ptid, sp, pc, saved_sp, regs):
        self.gid = gid
        self.ptid = ptid
        self.sp = sp
        self.pc = pc
        self.saved_sp = saved_sp
        self.regs = regs


class GUnwinder(gdb.unwinder.Unwinder):
    """The viewing thread's innermost real frame (frame #0, or the one
    that frames inlined at #0 are in) returns into the G's context."""

    def __init__(self):
        super().__init__("mnrt-thread")
        self.view = None

    def __call__(self, pending):
        v = self.view
        if v is None or gdb.selected_thread() is None or gdb.selected_thread().ptid != v.ptid \
                or int(pending.read_register("rsp")) != v.sp \
                or int(pending.read_register("rip")) != v.pc:
            return None
        # the frame is put where the G switched away (see the top)
        u64 = gdb.lookup_type("unsigned long")
        # (gdb 13 takes the id's addresses as gdb.Values only)
        info = pending.create_unwind_info(FrameId(gdb.Value(v.saved_sp).cast(u64),
                                                  gdb.Value(v.pc).cast(u64)))
        for reg, value in v.regs.items():
            info.add_saved_register(reg, gdb.Value(value).cast(u64))
        return info


UNWINDER = GUnwinder()


def set_view(view):
    UNWINDER.view = view
    gdb.invalidate_cached_frames()


def saved_registers(layout, g):
    """A parked G's registers from its mn_ctx_switch frame."""
    frame = layout.read(g.sp, layout.value("ctx.size"))
    regs = {r: struct.unpack_from("<Q", frame, layout.value("ctx." + r))[0] for r in SAVED}
    regs["rsp"] = g.sp + layout.value("ctx.size")
    return regs


class InfoThreads(gdb.Command):
    """List the program's threads as mnrt runs them (Gs): id, name, state,
what each waits for. A running thread names its kernel thread (M) and
the gdb thread that is it. `*` marks the thread `mnrt-thread` shows."""

    def __init__(self):
        super().__init__("info mnrt-threads", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        _, gs = load()
        shown = UNWINDER.view.gid if UNWINDER.view else None
        width = max([len(g.name) for g in gs] + [4])
        print("  %-6s %-*s %s" % ("Id", width, "Name", "State"))
        for g in gs:
            print("%s %-6d %-*s %s" % ("*" if g.id == shown else " ", g.id, width,
                                       g.name or "-", g.state()))
        counts = {}
        for g in gs:
            key = g.state().split(":")[0].split(" on ")[0]
            counts[key] = counts.get(key, 0) + 1
        print("%d threads: %s" % (len(gs), ", ".join(
            "%d %s" % (n, k) for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))))


def registers_of(thread):
    """A gdb thread's sp and pc, or None where it has none (libthread_db
    also lists the main thread by the fake tid mnrt gave it, and a core
    file has no registers for that one)."""
    thread.switch()
    try:
        top = gdb.newest_frame()
        return int(top.read_register("rsp")), int(top.pc())
    except gdb.error:
        return None


def viewer():
    """The gdb thread to show a parked G through, with its sp and pc: the
    selected one, or the first with registers."""
    selected = gdb.selected_thread()
    if selected is None:
        raise gdb.GdbError("mnrt: no gdb thread to show it through")
    for t in [selected] + [t for t in gdb.selected_inferior().threads() if t != selected]:
        regs = registers_of(t)
        if regs:
            return (t,) + regs
    selected.switch()
    raise gdb.GdbError("mnrt: no gdb thread with registers to show it through")


class Thread(gdb.Command):
    """Show mnrt thread N (a G, as `info mnrt-threads` lists them): its
backtrace, its innermost frame selected, so that `frame`, `up`, `down`
and `info locals` work in its frames. A running thread is shown on its
kernel thread's gdb thread. A parked one is shown through the selected
gdb thread, whose innermost frames stay that kernel thread's own: the
thread's frames follow those. `mnrt-thread` alone ends the view."""

    def __init__(self):
        super().__init__("mnrt-thread", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if not arg:
            if UNWINDER.view:
                print("mnrt: no longer showing thread %d" % UNWINDER.view.gid)
            set_view(None)
            return
        try:
            gid = int(arg)
        except ValueError:
            raise gdb.GdbError("usage: mnrt-thread [N]")
        layout, gs = load()
        g = next((x for x in gs if x.id == gid), None)
        if g is None:
            raise gdb.GdbError("mnrt: no thread %d (info mnrt-threads lists them)" % gid)
        set_view(None)
        print("mnrt thread %d%s: %s" % (g.id, ' "%s"' % g.name if g.name else "", g.state()))
        if g.on_m():
            if g.m["thread"] is None:
                raise gdb.GdbError("mnrt: its kernel thread %d is not one of gdb's threads"
                                   % g.m["tid"])
            g.m["thread"].switch()
            gdb.execute("backtrace")
            return
        if g.status == "dead":
            raise gdb.GdbError("mnrt: thread %d is exiting: no stack to show" % gid)
        if not g.sp:
            raise gdb.GdbError("mnrt: thread %d has no saved context" % gid)
        thread, sp, pc = viewer()
        regs = saved_registers(layout, g)
        set_view(View(gid, thread.ptid, sp, pc, g.sp, regs))
        first, level = gdb.newest_frame(), 0  # (Frame.level is gdb 11's)
        while first is not None and not (first.pc() == regs["rip"] and
                                         int(first.read_register("rsp")) == regs["rsp"]):
            first, level = first.older(), level + 1
        if first is None:
            set_view(None)
            raise gdb.GdbError("mnrt: gdb did not unwind into thread %d's context" % gid)
        print("(seen through gdb thread %d: the frames before #%d are that kernel thread's own)"
              % (thread.num, level))
        gdb.execute("backtrace")
        first.select()
        gdb.execute("frame")


def on_resume(event):
    if UNWINDER.view:
        set_view(None)


def register():
    gdb.unwinder.register_unwinder(None, UNWINDER, replace=True)
    InfoThreads()
    Thread()
    gdb.events.cont.connect(on_resume)


# once per gdb, however often it is loaded (once per objfile, or sourced)
if not getattr(gdb, "_mnrt_extension", False):
    gdb._mnrt_extension = True
    register()
