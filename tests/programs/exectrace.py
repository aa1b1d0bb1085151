#!/usr/bin/env python3
"""The execution trace (core/exectrace.h): MNRT_TRACE=FILE on the schedules
of exectrace_schedule.c. The file parses as JSON and is well formed for
Perfetto and chrome://tracing (each event's first key "ts", slices on a
track nested or apart, never overlapping; runs and idle spells on a P's
track apart; every flow with one start and one end, in time order); a
thread that parks on a condition variable and is readied by another shows
its run ending in that park, the ready, and its next run, in that order,
with an arrow from the ready to the run; full rings say how many events
they dropped and the rest stays well formed; tracing off writes no file;
a fork child and a program a traced process executes write FILE.PID, not
over the parent's FILE, and a child that runs natively (_Fork) none; SIGTERM at its default action writes the file and
still kills; a FILE that cannot be made is reported and the program runs.

usage: exectrace.py --lib LIBMNRT --program PROG_EXECTRACE_SCHEDULE
       exectrace.py --check FILE     (only the well-formedness checks)
"""
import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile

failures = []


def glibc_version():
    """The running glibc's version, as a tuple of ints."""
    return tuple(int(x) for x in os.confstr("CS_GNU_LIBC_VERSION").split()[1].split("."))


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def environment(lib, trace=None, extra=None):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("MNRT_")}
    if lib:
        env["LD_PRELOAD"] = lib
    if trace is not None:
        env["MNRT_TRACE"] = trace
    env.update(extra or {})
    return env


def run(cmd, env, cwd=None, timeout=120):
    r = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def load(path):
    """The trace, with each event's first key checked; None if unreadable."""
    first_keys = []

    def pairs(items):
        if items and items[0][0] in ("ts", "ph"):
            first_keys.append(items[0][0])
        return dict(items)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        d = json.loads(text, object_pairs_hook=pairs)
    except (OSError, ValueError) as e:
        fail("%s: not JSON: %s" % (path, e))
        return None
    if not text.startswith('{"otherData":'):
        fail("%s: does not begin with otherData" % path)
    for e in d.get("traceEvents", []):
        if e.get("ph") != "M" and next(iter(e)) != "ts":
            fail("%s: an event whose first key is not ts: %s" % (path, e))
            break
    return d


def well_formed(path, d):
    """Checks what Perfetto and chrome://tracing need; returns the slices by
    track and the flows."""
    other = d.get("otherData", {})
    if other.get("mnrt_trace") != "complete":
        fail("%s: otherData says %s" % (path, other))
    events = d.get("traceEvents")
    if not isinstance(events, list) or not events:
        fail("%s: no traceEvents" % path)
        return {}, {}
    names = {}
    tracks = collections.defaultdict(list)
    flows = collections.defaultdict(lambda: {"out": [], "in": []})
    for e in events:
        ph = e.get("ph")
        if ph == "M":
            if e["name"] == "thread_name":
                names[(e["pid"], e["tid"])] = e["args"]["name"]
            continue
        if ph == "X":
            if e["dur"] < 0:
                fail("%s: negative duration: %s" % (path, e))
            tracks[(e["pid"], e["tid"])].append(e)
            if "bind_id" in e:
                flows[e["bind_id"]]["out" if e.get("flow_out") else "in"].append(e)
        elif ph != "i":
            fail("%s: unexpected phase %s" % (path, e))
    for key, slices in tracks.items():
        track = names.get(key)
        if not track:
            fail("%s: track %s has no name" % (path, key))
        slices.sort(key=lambda s: (s["ts"], -s["dur"]))
        stack = []
        for s in slices:
            end = s["ts"] + s["dur"]
            while stack and stack[-1] <= s["ts"] + 1e-9:
                stack.pop()
            if stack and end > stack[-1] + 1e-9:
                fail("%s: on %s, %s overlaps a slice that ends at %s" % (path, track, s,
                                                                          stack[-1]))
                break
            stack.append(end)
        if track and track.startswith("P"):
            spans = [s for s in slices if s["cat"] in ("run", "idle")]
            for a, b in zip(spans, spans[1:]):
                if b["ts"] < a["ts"] + a["dur"] - 1e-9:
                    fail("%s: on %s, %s and %s overlap" % (path, track, a, b))
                    break
    for fid, f in flows.items():
        if len(f["out"]) != 1 or len(f["in"]) != 1:
            fail("%s: flow %s has %d starts and %d ends" % (path, fid, len(f["out"]),
                                                           len(f["in"])))
        elif f["out"][0]["ts"] > f["in"][0]["ts"] + 1e-9:
            fail("%s: flow %s ends before it starts" % (path, fid))
    return tracks, flows


def slices_of(tracks):
    return sorted((s for ss in tracks.values() for s in ss), key=lambda s: s["ts"])


def check_condvar(path, d):
    """The waiter's park, the signaller's ready and the waiter's next run."""
    tracks, flows = well_formed(path, d)
    all_slices = slices_of(tracks)
    # each thread by the name of its last run (a first run may bear its
    # creator's name: a new thread inherits it, as from the kernel)
    last = {s["args"]["thread"]: s["name"] for s in all_slices if s["cat"] == "run"}
    waiter = {t for t, n in last.items() if n.endswith("(waiter)")}
    signaller = {t for t, n in last.items() if n.endswith("(signaller)")}
    if len(waiter) != 1 or len(signaller) != 1:
        fail("%s: waiter %s, signaller %s: not one each" % (path, waiter, signaller))
        return
    w, sig = waiter.pop(), signaller.pop()
    runs = [s for s in all_slices if s["cat"] == "run" and s["args"]["thread"] == w]
    parks = [s for s in runs if s["args"].get("end") == "park (cond wait)"]
    if not parks:
        fail("%s: no run of the waiter (thread %d) ends in park (cond wait): %s" % (path, w, runs))
        return
    park = parks[-1]
    park_end = park["ts"] + park["dur"]
    readies = [s for s in all_slices if s["cat"] == "ready" and s["args"]["thread"] == w and
               s["args"].get("waited") == "cond wait" and s["ts"] >= park_end]
    if not readies:
        fail("%s: no ready of thread %d after its park at %s" % (path, w, park_end))
        return
    ready = readies[0]
    by = ready["args"].get("by")
    # readied by the signaller (from its own run), or by the waiter's M when
    # the signal came before the park was committed (then it does not park)
    if by is not None and by != sig:
        fail("%s: thread %d readied by %s, not the signaller %d" % (path, w, by, sig))
    if by == sig and not any(s["cat"] == "run" and s["args"]["thread"] == sig and
                             s["ts"] <= ready["ts"] <= s["ts"] + s["dur"]
                             for s in tracks[(ready["pid"], ready["tid"])]):
        fail("%s: the ready %s is in no run of the signaller on its track" % (path, ready))
    if "bind_id" not in ready:
        fail("%s: the ready %s has no flow" % (path, ready))
        return
    nxt = flows[ready["bind_id"]]["in"]
    if len(nxt) != 1 or nxt[0]["args"]["thread"] != w or nxt[0]["ts"] < ready["ts"]:
        fail("%s: the ready's flow goes to %s, not to the waiter's next run" % (path, nxt))
        return
    later = [s for s in runs if park_end <= s["ts"] < nxt[0]["ts"]]
    if later:
        fail("%s: the waiter ran between its park and the run the ready caused: %s" %
             (path, later))
    print("condvar: thread %d parks at %.3f us (cond wait), readied by %s at %.3f, runs at %.3f"
          % (w, park_end, by, ready["ts"], nxt[0]["ts"]))
    # the name set with bytes JSON escapes (a byte that is no UTF-8 reads
    # as the code point of its value)
    odd = 'odd"\\\x01\u00e9\u00ff'
    if not any(s["cat"] == "run" and s["name"].endswith("(%s)" % odd) for s in all_slices):
        fail("%s: no run of the thread named %r: %s" % (
            path, odd, sorted({s["name"] for s in all_slices if s["cat"] == "run"})))


def test_condvar(a, d):
    native = run([a.program, "condvar"], environment(None))
    trace = os.path.join(d, "condvar.json")
    got = run([a.program, "condvar"], environment(a.lib, trace))
    if got[0] != 0 or got[1] != native[1]:
        fail("condvar under mnrt: %s %r (native %r) %s" % (got[0], got[1], native[1], got[2]))
    if "written to %s" % trace not in got[2]:
        fail("condvar: stderr does not say where the trace went: %r" % got[2])
    t = load(trace)
    if t:
        check_condvar(trace, t)


def test_off(a, d):
    """No MNRT_TRACE: nothing written; MNRT_TRACE empty: a warning, nothing."""
    here = os.path.join(d, "off")
    os.mkdir(here)
    rc, out, err = run([a.program, "condvar"], environment(a.lib), cwd=here)
    if rc != 0 or os.listdir(here):
        fail("tracing off: status %d, files %s" % (rc, os.listdir(here)))
    rc, out, err = run([a.program, "condvar"], environment(a.lib, ""), cwd=here)
    if rc != 0 or os.listdir(here) or "MNRT_TRACE is empty" not in err:
        fail("MNRT_TRACE empty: status %d, files %s, stderr %r" % (rc, os.listdir(here), err))
    bad = os.path.join(d, "no-such-dir", "t.json")
    rc, out, err = run([a.program, "condvar"], environment(a.lib, bad))
    if rc != 0 or "MNRT_TRACE=%s: cannot create it" % bad not in err:
        fail("MNRT_TRACE in a missing directory: status %d, stderr %r" % (rc, err))


def test_wrap(a, d):
    trace = os.path.join(d, "wrap.json")
    rc, out, err = run([a.program, "pingpong", "100000"],
                       environment(a.lib, trace, {"MNRT_PROCS": "2"}))
    t = load(trace) if rc == 0 else None
    if rc != 0 or not t:
        fail("pingpong: status %d %s" % (rc, err))
        return
    other = t["otherData"]
    if other["dropped"] <= 0 or not other["dropped_by_ring"]:
        fail("pingpong: full rings, yet nothing dropped: %s" % other)
    if not any(e.get("ph") == "i" and "dropped" in e.get("name", "") for e in t["traceEvents"]):
        fail("pingpong: the trace does not say events were dropped")
    well_formed(trace, t)
    print("pingpong: %d events kept, %d dropped" % (other["events"], other["dropped"]))


def test_fork(a, d, mode):
    here = os.path.join(d, mode)
    os.mkdir(here)
    trace = os.path.join(here, "t.json")
    p = subprocess.Popen([a.program, mode], env=environment(a.lib, trace),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=120)
    err = err.decode(errors="replace")
    child = [int(l.split()[1]) for l in err.splitlines() if l.startswith("child ")]
    if p.returncode != 0 or len(child) != 1:
        fail("%s: status %d, stderr %r" % (mode, p.returncode, err))
        return
    if mode == "_Fork":  # its child runs natively: it writes nothing
        want = ["t.json"]
        if ("of pid %d written" % child[0]) in err:
            fail("_Fork: the native child wrote a trace: %r" % err)
    else:
        want = sorted(["t.json", "t.json.%d" % child[0]])
    if sorted(os.listdir(here)) != want:
        fail("%s: files %s, expected %s" % (mode, sorted(os.listdir(here)), want))
        return
    parent = load(trace)
    kid = load(trace + ".%d" % child[0]) if mode != "_Fork" else None
    if parent:
        well_formed(trace, parent)
        if parent["otherData"]["pid"] != p.pid:
            fail("%s: FILE is pid %s's, not the parent's %d" % (mode, parent["otherData"]["pid"],
                                                               p.pid))
    if kid:
        if kid["otherData"]["pid"] != child[0]:
            fail("%s: FILE.%d is pid %s's" % (mode, child[0], kid["otherData"]["pid"]))
        if mode == "exec":
            check_condvar(trace + ".%d" % child[0], kid)
        else:
            well_formed(trace, kid)
            if not any(e.get("cat") == "create" for e in kid["traceEvents"]):
                fail("fork: the child's trace has no thread creation")
    print("%s: parent %d and child %d: %s" % (mode, p.pid, child[0], " ".join(want)))


def test_sigterm(a, d):
    trace = os.path.join(d, "term.json")
    p = subprocess.Popen([a.program, "wait"], env=environment(a.lib, trace),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline()
    if line != b"waiting\n":
        fail("wait: said %r" % line)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    if p.returncode != -signal.SIGTERM:
        fail("SIGTERM: status %d (expected death by SIGTERM), %r" % (p.returncode, err))
    t = load(trace)
    if t:
        well_formed(trace, t)
        if not any(e.get("cat") == "run" for e in t["traceEvents"]):
            fail("SIGTERM: the trace has no runs")
    if os.path.exists(trace + ".part"):
        fail("SIGTERM: %s.part left behind" % trace)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib")
    ap.add_argument("--program")
    ap.add_argument("--check")
    a = ap.parse_args()
    if a.check:
        t = load(a.check)
        if t:
            tracks, flows = well_formed(a.check, t)
            print("%s: %d events, %d dropped, %d tracks, %d slices, %d flows" % (
                a.check, t["otherData"]["events"], t["otherData"]["dropped"], len(tracks),
                sum(len(s) for s in tracks.values()), len(flows)))
    else:
        a.lib = os.path.abspath(a.lib)
        a.program = os.path.abspath(a.program)
        with tempfile.TemporaryDirectory() as d:
            test_condvar(a, d)
            test_off(a, d)
            test_wrap(a, d)
            test_fork(a, d, "fork")
            test_fork(a, d, "exec")
            if glibc_version() >= (2, 34):  # _Fork is 2.34's
                test_fork(a, d, "_Fork")
            test_sigterm(a, d)
    print("FAILED" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
