#!/usr/bin/env python3
"""Thread dumps (core/dump.h): `mnrt dump PID` on a program whose threads
wait in every kind of wait (dump_waits.c) names each thread, says what it
waits for (the program's own objects at their addresses, fds, the thread
it joins) and finds the thread's own function in its stack; 10,000
threads waiting in one place are one entry; SIGQUIT prints the dump and
kills the process as SIGQUIT does natively; mnrt_dump(fd) writes one; the
tool refuses a process that runs natively; dumps taken while threads come
and go on stacks the program unmaps are whole and harm nothing.

usage: dump.py --mnrt MNRT --lib LIBMNRT --program PROG_DUMP_WAITS
"""
import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time

# each thread of `dump_waits waits`: the functions its stack must show
FUNCS = {
    "w-mutex": ["wait_on_mutex"],
    "w-cond": ["wait_on_cond"],
    "w-rdlock": ["wait_to_read_rwlock"],
    "w-wrlock": ["wait_to_write_rwlock"],
    "w-barrier": ["wait_at_barrier"],
    "w-sem": ["wait_on_semaphore"],
    "w-futex": ["wait_on_futex"],
    "w-once-init": ["init_once_slowly", "run_once_first"],
    "w-once": ["wait_on_once"],
    "w-read": ["wait_to_read_fd"],
    "w-write": ["wait_to_write_fd"],
    "w-accept": ["wait_to_accept"],
    "w-poll": ["wait_in_poll"],
    "w-epoll": ["wait_in_epoll"],
    "w-sleep": ["sleep_long"],
    "w-join": ["wait_to_join"],
    "w-syscall": ["block_in_kernel"],
    "w-running": ["keep_running"],
    # its kernel thread asleep: no stack (its M is named, not the P it lost)
    "w-unseen": [],
    # through the signal frame: the handler, then what it interrupted (the
    # exact instruction: the first of its function)
    "w-handler": ["wait_in_handler", "loop_at_entry", "spin_until_signalled"],
}

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def environment(lib):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("MNRT_")}
    if lib:
        env["LD_PRELOAD"] = lib
    return env


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def start(cmd, lib):
    """Starts cmd; returns the process and what it said its threads wait
    for, once it is ready."""
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=environment(lib), preexec_fn=no_core)
    expect = {}
    for line in p.stdout:
        line = line.decode().rstrip("\n")
        if line == "ready":
            break
        name, _, what = line.partition(" ")
        expect[name] = what
    return p, expect


def mnrt_dump(mnrt, pid, *opts):
    r = subprocess.run([mnrt, "dump"] + list(opts) + [str(pid)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


HEADER = re.compile(r'^(?:thread (\d+)|(\d+) threads ([0-9, .-]+))((?: "[^"]*",?)*) \[(.*)\]:$')


def parse(text):
    """The entries of a dump: dicts with ids, names, state, frames, created."""
    entries = []
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        m = HEADER.match(lines[0])
        if not m:
            continue
        entries.append({
            "header": lines[0],
            "count": int(m.group(2)) if m.group(2) else 1,
            "id": int(m.group(1)) if m.group(1) else None,
            "names": re.findall(r'"([^"]*)"', m.group(4)),
            "state": m.group(5),
            "frames": [l.strip() for l in lines[1:] if l.startswith("    ")],
            "created": [l for l in lines[1:] if l.startswith("created by ")],
        })
    return entries


def check_waits(text, expect, prog):
    """What is wrong with the dump of `dump_waits waits` (empty: nothing)."""
    wrong = []
    entries = parse(text)
    by_name = {}
    for e in entries:
        for n in e["names"]:
            by_name[n] = e
    for name, funcs in FUNCS.items():
        e = by_name.get(name)
        if not e:
            wrong.append("no entry for %s" % name)
            continue
        want = expect[name]
        if name == "w-join":
            sleeper = by_name.get("w-sleep")
            want = "join of thread %s" % (sleeper["id"] if sleeper else "?")
        state = e["state"]
        ok = state == want or state.startswith(want + ",") or \
            (want.endswith("on M") and state.startswith(want)) or \
            re.sub(r"on M\d+", "on M", state) == want
        if not ok:
            wrong.append("%s: state [%s], expected %s" % (name, state, want))
        for f in funcs:
            if not any(fr.startswith(f + "+") for fr in e["frames"]):
                wrong.append("%s: no frame of %s in %s" % (name, f, e["frames"]))
        if not e["created"] or "(%s) in thread 1" % prog not in e["created"][0]:
            wrong.append("%s: created by %s" % (name, e["created"]))
    return wrong


def test_waits(a, fifo):
    prog = os.path.basename(a.program)
    p, expect = start([a.program, "waits", fifo], a.lib)
    missing = [n for n in FUNCS if n not in expect]
    if missing:
        fail("the program did not say what %s wait for" % missing)
        p.kill()
        return
    # every thread gets to its wait by itself (an I/O wait may wake once
    # early on, when its fd is first watched): look until all are there,
    # twice in a row, a second apart
    wrong = ["no dump"]
    passed = 0
    for _ in range(120):
        rc, out, err = mnrt_dump(a.mnrt, p.pid)
        if rc != 0:
            wrong = ["mnrt dump exited with %d: %s" % (rc, err)]
        else:
            wrong = check_waits(out, expect, prog)
        passed = 0 if wrong else passed + 1
        if passed == 2:
            break
        time.sleep(1 if passed else 0.5)
    for w in wrong:
        fail("waits: " + w)
    if not wrong:
        print("waits: every thread named, its wait and its own function found")
        print(out)

    rc, out, err = mnrt_dump(a.mnrt, p.pid, "--all")
    e = [x for x in parse(out) if "w-mutex" in x["names"]]
    if rc != 0 or not e or not any(f.startswith("mn_park+") for f in e[0]["frames"]):
        fail("--all: no mn_park frame for w-mutex: %s" % (e[0]["frames"] if e else out))

    # SIGQUIT: the dump on stderr, then death by SIGQUIT
    # (stdin stays open: at its end the program would exit by itself)
    p.send_signal(signal.SIGQUIT)
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("SIGQUIT: the process did not end")
        return
    err = p.stderr.read().decode(errors="replace")
    if p.returncode != -signal.SIGQUIT:
        fail("SIGQUIT: ended with %d, expected %d" % (p.returncode, -signal.SIGQUIT))
    wrong = check_waits(err, expect, prog)
    if "mnrt: end of thread dump" not in err or wrong:
        fail("SIGQUIT: the dump on stderr is not whole: %s\n%s" % (wrong, err[-3000:]))
    else:
        print("SIGQUIT: dump on stderr, killed by SIGQUIT")


def test_native(a, fifo):
    p, _ = start([a.program, "waits", fifo], None)
    rc, out, err = mnrt_dump(a.mnrt, p.pid)
    if rc != 1 or "does not run under mnrt" not in err:
        fail("native: mnrt dump said %d %r %r" % (rc, out, err))
    p.send_signal(signal.SIGQUIT)
    p.wait(timeout=60)
    if p.returncode != -signal.SIGQUIT:
        fail("native: SIGQUIT ended it with %d" % p.returncode)
    print("native: refused; SIGQUIT kills it as under mnrt")


def test_many(a, n):
    p, expect = start([a.program, "many", str(n)], a.lib)
    # the last of them may still be on their way to the wait: look again
    for _ in range(120):
        rc, out, err = mnrt_dump(a.mnrt, p.pid)
        entries = parse(out)
        group = [e for e in entries if any(f.startswith("wait_many+") for f in e["frames"])]
        if rc == 0 and len(group) == 1 and group[0]["count"] == n:
            break
        time.sleep(0.5)
    p.stdin.close()
    p.wait(timeout=60)
    if rc != 0 or len(group) != 1 or group[0]["count"] != n or \
            not group[0]["state"].startswith(expect.get("many", "?") + ","):
        fail("many: %d waiters are not one entry: rc %d, %s\n%s" %
             (n, rc, [e["header"] for e in group], out[-3000:]))
    elif len(entries) > 2:
        fail("many: %d entries, expected the main thread and one group" % len(entries))
    else:
        print("many: " + group[0]["header"])


def test_self(a):
    r = subprocess.run([a.program, "self"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=environment(a.lib), timeout=120)
    out = r.stdout.decode(errors="replace")
    e = [x for x in parse(out) if "dumper" in x["names"]]
    if r.returncode != 0 or not e or e[0]["state"] != "running, in mnrt_dump" or \
            not any(f.startswith("dump_myself+") for f in e[0]["frames"]):
        fail("self: mnrt_dump(1): rc %d\n%s" % (r.returncode, out))
    else:
        print("self: " + e[0]["header"])
    r = subprocess.run([a.program, "self"], stdout=subprocess.PIPE, env=environment(None),
                       timeout=120)
    if r.stdout.decode() != "mnrt_dump: none (native)\n":
        fail("self natively: %r" % r.stdout)


def test_churn(a, dumps):
    """Dumps of a process whose threads come and go on stacks it unmaps:
    every dump whole, the process unharmed."""
    p, _ = start([a.program, "churn"], a.lib)
    bad = []
    for _ in range(dumps):
        rc, out, err = mnrt_dump(a.mnrt, p.pid)
        if rc != 0 or not out.endswith("mnrt: end of thread dump\n"):
            bad.append("rc %d: %s %s" % (rc, err, out[-500:]))
    p.stdin.close()
    p.wait(timeout=120)
    out, err = p.stdout.read(), p.stderr.read()
    if bad or p.returncode != 0 or out != b"made some\n":
        fail("churn: %d of %d dumps bad %s; the program ended with %d: %r %r" %
             (len(bad), dumps, bad[:3], p.returncode, out, err[-2000:]))
    else:
        print("churn: %d dumps while threads came and went on unmapped stacks" % dumps)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnrt", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--program", required=True)
    ap.add_argument("--many", type=int, default=10000)
    ap.add_argument("--churn", type=int, default=200)
    a = ap.parse_args()
    a.lib = os.path.abspath(a.lib)
    with tempfile.TemporaryDirectory() as d:
        test_waits(a, os.path.join(d, "fifo"))
        test_native(a, os.path.join(d, "fifo"))
    test_many(a, a.many)
    test_self(a)
    test_churn(a, a.churn)
    print("FAILED" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
