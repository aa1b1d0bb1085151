#!/usr/bin/env python3
"""Runs a test program natively and under the preload, and checks that both
runs end as expected and print the same stdout (docs/design.md §1: the
program behaves as it did). Used by meson test for every integration test.

usage: run_program.py --lib LIBMNRT [options] -- PROGRAM [ARGS...]
  --mnrt-only            skip the native run (e.g. 100,000 threads)
  --exit N               expected exit status (default 0)
  --signal NAME          expected terminating signal instead (e.g. SIGSEGV)
  --stderr-has TEXT      the mnrt run's stderr must contain TEXT (repeatable)
  --stderr-lacks TEXT    the mnrt run's stderr must not contain TEXT
The mnrt run fails if mnrt refused to boot ("running the program natively"
on its stderr: the program then ran on glibc's threads and would pass
untested), unless --stderr-has names that text.
  --env K=V              extra environment for the mnrt run (repeatable)
  --with-preload LIB     LIB is preloaded in both runs, in front of libmnrt.so
                         (e.g. a foreign malloc)
  --mnrt-first           with --with-preload: libmnrt.so in front of LIB
  --timeout S            per run (default 120)
"""
import argparse
import os
import signal
import subprocess
import sys

# the end of boot's one line when mnrt cannot run a program (shim/boot.c)
REFUSED = "running the program natively"


def stacks(pid):
    """Every thread's backtrace of a process that hangs, for the log (a
    hang in CI is otherwise a bare "timed out"); empty without gdb."""
    try:
        g = subprocess.run(["gdb", "-batch", "-nx", "-p", str(pid), "-ex",
                            "thread apply all bt 25"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        return b"\n--- every thread's stack at the timeout:\n" + g.stdout
    except (OSError, subprocess.TimeoutExpired):
        return b""


def run(cmd, env, timeout):
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        where = stacks(p.pid)
        p.kill()
        out, err = p.communicate()
        return None, out or b"", (err or b"") + where
    return p.returncode, out, err


def describe(rc):
    if rc is None:
        return "timed out"
    if rc < 0:
        return "killed by " + signal.Signals(-rc).name
    return "exit %d" % rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--mnrt-only", action="store_true")
    ap.add_argument("--exit", type=int, default=0)
    ap.add_argument("--signal")
    ap.add_argument("--stderr-has", action="append", default=[])
    ap.add_argument("--stderr-lacks", action="append", default=[])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--with-preload")
    ap.add_argument("--mnrt-first", action="store_true")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    want = -signal.Signals[a.signal].value if a.signal else a.exit

    base = dict(os.environ)
    base.pop("LD_PRELOAD", None)
    ok = True
    outputs = {}
    runs = [] if a.mnrt_only else ["native"]
    runs.append("mnrt")
    for name in runs:
        env = dict(base)
        preload = [a.with_preload] if a.with_preload else []
        if name == "mnrt":
            mnrt = os.path.abspath(a.lib)
            preload = [mnrt] + preload if a.mnrt_first else preload + [mnrt]
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        if name == "mnrt":
            for kv in a.env:
                k, _, v = kv.partition("=")
                env[k] = v
        rc, out, err = run(cmd, env, a.timeout)
        outputs[name] = out
        sys.stdout.write("--- %s: %s\n" % (name, describe(rc)))
        sys.stdout.write(out.decode(errors="replace")[-4000:])
        if err:  # a hang's stacks are long
            tail = 30000 if rc is None else 4000
            sys.stdout.write("--- %s stderr:\n%s" % (name, err.decode(errors="replace")[-tail:]))
        if rc != want:
            print("FAIL: %s run: %s, expected %s" % (name, describe(rc), describe(want)))
            ok = False
        if name == "mnrt":
            text = err.decode(errors="replace")
            for s in a.stderr_has:
                if s not in text:
                    print("FAIL: mnrt stderr lacks %r" % s)
                    ok = False
            for s in a.stderr_lacks:
                if s in text:
                    print("FAIL: mnrt stderr has %r" % s)
                    ok = False
            if REFUSED in text and not any(REFUSED in s for s in a.stderr_has):
                print("FAIL: mnrt refused to boot: the program ran natively")
                ok = False
    if "native" in outputs and outputs["native"] != outputs["mnrt"]:
        print("FAIL: stdout differs between the native and the mnrt run")
        ok = False
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
