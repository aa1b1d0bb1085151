#!/usr/bin/env python3
"""The live view, `mnrt top` (tools/launcher/top.c, core/stats.h), on
inspect_states.c under mnrt with every thread's CPU time accounted: the
threads by state (2 spinners running or waiting for a P, one in a system
call, one asleep where mnrt does not see, whose kernel thread lost its P,
100 waiting on the condition variable, the main thread waiting for fd 0
or woken by it), the
Ps, each with a busy percentage from the second screen on, the
netpoller's wake-ups, parks and switches while the test writes to the
program's stdin (counted: more than none, no timing), the spinners as
the busiest threads; screens for a pipe without escape sequences, for a
terminal with them; the process exiting while watched (said, status 0);
a process that does not run under mnrt, or none, refused with status 1.

usage: top.py --mnrt MNRT --lib LIBMNRT --program INSPECT_STATES
"""
import argparse
import os
import pty
import re
import subprocess
import sys
import tempfile
import threading
import time

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def top(a, *args, **kw):
    r = subprocess.run([a.mnrt, "top"] + [str(x) for x in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120, **kw)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def rate(screen, what):
    """The rate top shows for what ("12", "1.5k", "2.0M"), or None."""
    m = re.search(r"([\d.]+)([kM]?) " + what + "(,|$)", screen, re.M)
    return float(m.group(1)) * {"": 1, "k": 1e3, "M": 1e6}[m.group(2)] if m else None


def check_screen(screen):
    """What is wrong with a screen of inspect_states (empty: nothing)."""
    wrong = []
    m = re.search(r"^threads (\d+): (\d+) running, (\d+) runnable, (\d+) in system calls, "
                  r"(\d+) waiting, (\d+) exiting", screen, re.M)
    if not m:
        return ["no threads line"]
    total, running, runnable, syscall, waiting, _ = (int(x) for x in m.groups())
    # the main thread, woken by each write to its stdin, may be waiting
    # for its P (runnable), running, or waiting for the next write; the
    # unseen sleeper runs as far as mnrt knows
    if total != 105 or syscall != 1 or running + runnable + waiting != 104 or \
            running + runnable < 3:
        wrong.append("threads: %s" % m.group(0))
    m = re.search(r"^kernel threads (\d+) \+ sysmon: .* (\d+) blocked unseen,", screen, re.M)
    if not m or m.group(2) != "1" or int(m.group(1)) < 4:
        wrong.append("kernel threads (4 at least, one blocked unseen): %s" %
                     (m.group(0) if m else None))
    m = re.search(r"^waiting: (.*)$", screen, re.M)
    waits = dict((r, int(n)) for n, r in re.findall(r"(\d+) ([^,]+)", m.group(1))) if m else {}
    if waits.get("cond wait") != 100 or set(waits) - {"cond wait", "fd read"}:
        wrong.append("waiting for: %s" % waits)
    ps = re.findall(r"^ +(\d+)  (\w+) +(\S+) +(\d+)  (\S+) +(.*)$", screen, re.M)
    if len(ps) != 2 or not all(re.match(r"\d+%$", p[2]) for p in ps):
        wrong.append("Ps (2, each with a busy percentage): %s" % ps)
    for what in ("switches", "parks", "netpoll wake-ups"):
        if not rate(screen, what):
            wrong.append("no %s while the main thread was woken by its reads" % what)
    table = screen.split("  thread  name", 1)
    busiest = re.findall(r"^  (\d+) +(\S+) +([\d.]+)% ", table[-1], re.M) if len(table) == 2 else []
    if [b[1] for b in busiest[:2]] != ["spinner", "spinner"]:
        wrong.append("the busiest threads are not the spinners: %s" % busiest)
    return wrong


def test_live(a, p):
    # the main thread is woken by a write to its stdin every 20 ms
    stop = threading.Event()

    def feed():
        while not stop.is_set():
            p.stdin.write(b"x")
            p.stdin.flush()
            time.sleep(0.02)
    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        # each thread gets to its wait by itself: look until all are there
        for _ in range(30):
            rc, out, err = top(a, "-n", 2, "-d", 0.3, p.pid)
            n = out.count("mnrt top - pid")
            if rc:
                wrong = ["mnrt top exited with %d: %s" % (rc, err)]
            elif n != 2:
                wrong = ["%d screens, expected 2" % n]
            else:
                wrong = check_screen(out[out.rindex("mnrt top - pid"):])
            if not wrong:
                break
            time.sleep(0.5)
    finally:
        stop.set()
        feeder.join()
    for w in wrong:
        fail("live: " + w)
    if wrong:
        print(out)
    else:
        print("live: two screens, the second:\n" + out[out.rindex("mnrt top - pid"):])
        if "\033" in out:
            fail("pipe: escape sequences in the output")

    # a terminal: each screen drawn over the last
    master, slave = pty.openpty()
    r = subprocess.run([a.mnrt, "top", "--once", "-d", "0.2", str(p.pid)], stdout=slave,
                       stderr=subprocess.PIPE, timeout=120)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    if r.returncode != 0 or not seen.startswith(b"\033[H\033[2J") or b"mnrt top - pid" not in seen:
        fail("terminal: status %d, output %r" % (r.returncode, seen[:200]))
    else:
        print("terminal: the screen is cleared before each one")


def test_exit(a, p):
    """The process exits while watched."""
    t = subprocess.Popen([a.mnrt, "top", "-d", "0.2", str(p.pid)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    time.sleep(1)
    p.stdin.close()
    p.wait(timeout=60)
    try:
        out, err = t.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        t.kill()
        fail("exit: mnrt top went on after the process exited")
        return
    err = err.decode(errors="replace")
    if t.returncode != 0 or err != "mnrt top: process %d exited\n" % p.pid:
        fail("exit: status %d, stderr %r" % (t.returncode, err))
    else:
        print("exit: " + err.strip())


def test_refusals(a, program, fifo):
    native = subprocess.Popen([program, fifo], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    native.stdout.readline()
    rc, out, err = top(a, "--once", native.pid)
    native.stdin.close()
    native.wait(timeout=60)
    want = "mnrt top: process %d does not run under mnrt (no libmnrt.so)\n" % native.pid
    if rc != 1 or out or err != want:
        fail("native process: %d %r %r" % (rc, out, err))
    else:
        print("native process: " + err.strip())
    # a pid that no process has (above pid_max)
    rc, out, err = top(a, "--once", (1 << 22) + 1)
    if rc != 1 or "no process" not in err:
        fail("no process: %d %r %r" % (rc, out, err))
    rc, out, err = top(a, "-d", "0", "1")
    if rc != 2:
        fail("bad interval: %d %r" % (rc, err))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnrt", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--program", required=True)
    a = ap.parse_args()
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("MNRT_")}
    env.update(LD_PRELOAD=os.path.abspath(a.lib), MNRT_PROCS="2", MNRT_STACK="256K",
               MNRT_DEBUG="cputime=1")
    with tempfile.TemporaryDirectory() as d:
        fifo = os.path.join(d, "fifo")
        p = subprocess.Popen([a.program, fifo], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             env=env)
        try:
            if p.stdout.readline() != b"ready\n":
                fail("the program did not start")
            else:
                test_live(a, p)
                test_exit(a, p)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        test_refusals(a, a.program, fifo)
    print("FAILED" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
