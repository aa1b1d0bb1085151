#!/usr/bin/env python3
"""The gdb extension (tools/gdb/mnrt.py), auto-loaded from beside
libmnrt.so, on inspect_states.c under mnrt: `info mnrt-threads` lists
every thread with its name and state (100 waiting on the condition
variable, 2 running on kernel threads, one in a system call, one asleep
where mnrt does not see whose kernel thread lost its P, the main thread
reading fd 0), and `mnrt-thread N` shows a thread's backtrace with
the program's own function in it, a parked thread's frames selectable
(`frame function`, `info locals`), on the live process and on a core
file: the kernel's (SIGABRT), and gdb's `gcore` where gdb can copy the
thread stacks (not where they have guard regions inside one mapping,
Linux 6.13+: gdb 13 stops copying a mapping at its first unreadable
page; then that part is skipped, saying so). Skipped when gdb is not
installed.

usage: gdb_extension.py --lib LIBMNRT --program INSPECT_STATES
"""
import argparse
import glob
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def gdb(a, target, *commands, source=False):
    """Runs gdb in batch mode on target (["-p", PID] or [PROGRAM, CORE])."""
    cmd = [a.gdb, "-nx", "-q", "-batch",
           "-iex", "add-auto-load-safe-path " + os.path.dirname(a.lib)]
    cmd += target
    if source:
        cmd += ["-ex", "source " + os.path.join(os.path.dirname(a.lib), "libmnrt.so-gdb.py")]
    for c in commands:
        cmd += ["-ex", c]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    return r.stdout.decode(errors="replace")


ROW = re.compile(r"^[ *] (\d+)\s+(\S*)\s+(.*)$")


def threads(out):
    """{id: (name, state)} from `info mnrt-threads`."""
    rows = {}
    for line in out.splitlines():
        m = ROW.match(line)
        if m and not line.startswith("  Id"):
            rows[int(m.group(1))] = (m.group(2), m.group(3).strip())
    return rows


def check_listing(rows):
    """What is wrong with the listing of inspect_states (empty: nothing)."""
    wrong = []
    names = {}
    for gid, (name, state) in rows.items():
        names.setdefault(name, []).append((gid, state))
    waiters = names.get("cond-waiter", [])
    if len(waiters) != 100 or not all(re.match(r"waiting: cond wait 0x[0-9a-f]+$", s)
                                      for _, s in waiters):
        wrong.append("cond-waiter: %s" % sorted({s for _, s in waiters}))
    spinners = names.get("spinner", [])
    if len(spinners) != 2 or not all(re.match(r"running on M\d+ \(gdb thread \d+\)$", s)
                                     for _, s in spinners):
        wrong.append("spinner: %s" % spinners)
    kernel = names.get("in-kernel", [])
    if len(kernel) != 1 or not re.match(r"system call on M\d+ \(gdb thread \d+\)"
                                        r"(, its P handed off)?$", kernel[0][1]):
        wrong.append("in-kernel: %s" % kernel)
    unseen = names.get("unseen", [])
    if len(unseen) != 1 or not re.match(r"running on M\d+ \(gdb thread \d+\), its P taken: "
                                        r"blocked where mnrt does not see$", unseen[0][1]):
        wrong.append("unseen: %s" % unseen)
    if rows.get(1, ("", ""))[1] != "waiting: fd read 0":
        wrong.append("main thread: %s" % (rows.get(1),))
    if len(rows) != 105:
        wrong.append("%d threads listed, expected 105" % len(rows))
    return wrong


def pick(rows, name):
    return min(gid for gid, (n, _) in rows.items() if n == name)


def check_stacks(where, out, rows):
    """The output of the mnrt-thread commands of inspect (below)."""
    parts = out.split("mnrt thread ")
    bad = len(failures)
    wanted = [("cond-waiter", ["park_on_cond (", "wakeups = 0"]),
              ("spinner", ["spin_forever ("]),
              ("in-kernel", ["block_in_kernel ("]),
              ("unseen", ["sleep_unseen ("]),
              ("main", ["main ("])]
    for name, needles in wanted:
        gid = 1 if name == "main" else pick(rows, name)
        part = next((p for p in reversed(parts) if re.match(r"%d[ :]" % gid, p)), None)
        if part is None:
            fail("%s: no output for thread %d (%s):\n%s" % (where, gid, name, out[-3000:]))
            continue
        missing = [n for n in needles if n not in part]
        if missing:
            fail("%s: thread %d (%s): no %s in:\n%s" % (where, gid, name, missing, part))
    if len(failures) == bad:
        print("%s: backtraces of a parked, a running, a system-call, an unseen and the main thread, "
              "a parked thread's frame and local" % where)


def through_every_thread(where, out, waiter):
    """A parked thread seen through each of gdb's threads: a kernel thread
    stopped in a frame with inlined ones, or whose stack lies above the
    thread's (the extension made gdb stop there before)."""
    views = out.split("mnrt thread %d " % waiter)[1:]
    bad = [v for v in views if "park_on_cond (" not in v]
    if len(views) < 3 or bad:
        fail("%s: thread %d seen through %d gdb threads, %d without park_on_cond:\n%s"
             % (where, waiter, len(views), len(bad), "".join(bad)[-3000:]))
    else:
        print("%s: thread %d seen through each of the %d gdb threads" % (where, waiter, len(views)))


def inspect(a, target, rows, source=False):
    waiter = pick(rows, "cond-waiter")
    cmds = ["python [(t.switch(), gdb.execute('mnrt-thread %d')) "
            "for t in gdb.selected_inferior().threads()]" % waiter, "thread 1",
            "mnrt-thread %d" % waiter, "frame function park_on_cond", "info locals",
            "mnrt-thread %d" % pick(rows, "spinner"),
            "mnrt-thread %d" % pick(rows, "in-kernel"),
            "mnrt-thread %d" % pick(rows, "unseen"),
            "mnrt-thread 1", "mnrt-thread"]
    return gdb(a, target, *cmds, source=source)


def cores_in(d):
    return [p for p in glob.glob(os.path.join(d, "core*")) if not p.endswith(".gcore")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--program", required=True)
    a = ap.parse_args()
    a.lib = os.path.abspath(a.lib)
    a.gdb = shutil.which("gdb")
    if not a.gdb:
        print("skipped: gdb is not installed")
        return 0
    if not os.path.exists(os.path.join(os.path.dirname(a.lib), "libmnrt.so-gdb.py")):
        print("FAIL: no libmnrt.so-gdb.py beside %s" % a.lib)
        return 1
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("MNRT_")}
    env.update(LD_PRELOAD=a.lib, MNRT_PROCS="2", MNRT_STACK="256K")
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([os.path.abspath(a.program), os.path.join(d, "fifo")], cwd=d,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                             preexec_fn=lambda: resource.setrlimit(
                                 resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2))
        try:
            if p.stdout.readline() != b"ready\n":
                fail("the program did not start")
                return 1
            # each thread gets to its wait by itself: look until all are there
            for _ in range(30):
                out = gdb(a, ["-p", str(p.pid)], "info mnrt-threads")
                rows = threads(out)
                wrong = check_listing(rows)
                if not wrong:
                    break
                time.sleep(0.5)
            for w in wrong:
                fail("live listing: " + w)
            if wrong:
                print(out[-3000:])
                return 1
            print("live: info mnrt-threads lists the 105 threads in their states")
            out = inspect(a, ["-p", str(p.pid)], rows)
            through_every_thread("live", out, pick(rows, "cond-waiter"))
            check_stacks("live", out, rows)

            gcore = os.path.join(d, "inspect.gcore")
            out = gdb(a, ["-p", str(p.pid)], "generate-core-file " + gcore)
            if "Memory read failed" in out:
                print("gcore: skipped: gdb could not copy every mapping (thread stacks with "
                      "guard regions)")
            elif not os.path.exists(gcore):
                fail("gcore: no core file:\n" + out[-2000:])
            else:
                out = inspect(a, [a.program, gcore], rows, source=True)
                through_every_thread("gcore", out, pick(rows, "cond-waiter"))
                check_stacks("gcore", out, rows)

            p.send_signal(signal.SIGABRT)
            p.wait(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        pattern = open("/proc/sys/kernel/core_pattern").read().strip()
        cores = cores_in(d)
        if pattern.startswith("|") or "/" in pattern:
            print("kernel core: skipped: core_pattern %r does not write one here" % pattern)
        elif not cores:
            fail("kernel core: none in %s after SIGABRT (status %d)" % (d, p.returncode))
        else:
            out = gdb(a, [a.program, cores[0]], "info mnrt-threads")
            wrong = check_listing(threads(out))
            for w in wrong:
                fail("kernel core listing: " + w)
            if not wrong:
                print("kernel core: info mnrt-threads lists the 105 threads in their states")
            out = inspect(a, [a.program, cores[0]], rows)
            through_every_thread("kernel core", out, pick(rows, "cond-waiter"))
            check_stacks("kernel core", out, rows)
    print("FAILED" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
