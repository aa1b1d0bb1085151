#!/usr/bin/env python3
"""`mnrt run`, the launcher users start programs with (README, "Using it"), and
the MNRT_PROCS setting it passes on: -p N gives the program N procs and
overrides MNRT_PROCS; --trace=MS prints "mnrt: SCHED" lines on stderr;
--trace-out FILE (and --trace-out=FILE) writes an execution trace there,
named against the directory the tool ran in; the
program's exit status is the tool's; bad or unknown options exit 2 with a
message and never run the program; a command that does not exist exits
127; every -p value the launcher accepts is honoured; MNRT_PROCS=abc
prints exactly one "mnrt: MNRT_PROCS=abc" warning and the default is used
(under the launcher and with LD_PRELOAD alone).

usage: launcher.py --mnrt TOOL --lib LIBMNRT --probe PROBE
(PROBE: launcher_probe, which prints procs=N and exits with argv[2].)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

failures = []


def run(cmd, env_extra=None, timeout=60, cwd=None):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("MNRT_")}
    env.update(env_extra or {})
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def expect(what, cond, rc, out, err):
    status = "ok" if cond else "FAIL"
    print("%s: %s (exit %d)" % (status, what, rc))
    if not cond:
        print("  stdout: %r\n  stderr: %r" % (out[-1000:], err[-1000:]))
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mnrt", required=True)
    ap.add_argument("--lib", required=True)
    ap.add_argument("--probe", required=True)
    a = ap.parse_args()
    mnrt, probe = os.path.abspath(a.mnrt), os.path.abspath(a.probe)

    rc, out, err = run([mnrt, "run", "--", probe])
    expect("mnrt run -- probe runs it under mnrt", rc == 0 and out.startswith("procs=") and
           out.strip() != "procs=0", rc, out, err)
    default = out.strip()

    rc, out, err = run([mnrt, "run", "-p", "3", "--", probe])
    expect("-p 3 gives 3 procs", rc == 0 and out == "procs=3\n", rc, out, err)

    rc, out, err = run([mnrt, "run", "-p", "3", "--", probe], {"MNRT_PROCS": "5"})
    expect("-p 3 overrides MNRT_PROCS=5", rc == 0 and out == "procs=3\n", rc, out, err)

    rc, out, err = run([mnrt, "run", "--trace=100", "--", probe, "350"])
    expect("--trace=100 prints mnrt: SCHED lines", rc == 0 and "mnrt: SCHED" in err,
           rc, out, err)

    with tempfile.TemporaryDirectory() as d:
        for opt in (["--trace-out", "t.json"], ["--trace-out=t.json"]):
            rc, out, err = run([mnrt, "run"] + opt + ["--", probe, "20"], cwd=d)
            path = os.path.join(d, "t.json")
            ok = rc == 0 and os.path.exists(path) and \
                json.load(open(path))["otherData"]["mnrt_trace"] == "complete"
            expect("%s writes a complete trace" % " ".join(opt), ok, rc, out, err)
            if os.path.exists(path):
                os.unlink(path)
    rc, out, err = run([mnrt, "run", "--trace-out"])
    expect("--trace-out without a file: exit 2", rc == 2 and "--trace-out" in err, rc, out, err)

    rc, out, err = run([mnrt, "run", "--", probe, "0", "7"])
    expect("the program's exit status is the tool's", rc == 7, rc, out, err)

    for bad in (["-p", "0"], ["-p", "abc"], ["-p"]):
        rc, out, err = run([mnrt, "run"] + bad + ["--", probe])
        expect("%s: exit 2 with a message about -p, program not run" % " ".join(bad),
               rc == 2 and "-p" in err and out == "", rc, out, err)

    rc, out, err = run([mnrt, "run", "--no-such-option", "--", probe])
    expect("unknown option: exit 2 with a message, program not run",
           rc == 2 and "--no-such-option" in err and out == "", rc, out, err)

    rc, out, err = run([mnrt, "run"])
    expect("no command: exit 2", rc == 2, rc, out, err)

    rc, out, err = run([mnrt, "run", "--", "/nonexistent/mnrt-test-command"])
    expect("a command that does not exist: exit 127", rc == 127 and err != "", rc, out, err)

    # large values: the launcher refuses them, or the program gets them
    for n in ("1024", "4096"):
        rc, out, err = run([mnrt, "run", "-p", n, "--", probe])
        expect("-p %s is refused or honoured" % n,
               rc == 2 or (rc == 0 and out == "procs=%s\n" % n and "mnrt:" not in err),
               rc, out, err)

    for how, cmd, env in (("mnrt run", [mnrt, "run", "--", probe], {"MNRT_PROCS": "abc"}),
                          ("LD_PRELOAD", [probe],
                           {"MNRT_PROCS": "abc", "LD_PRELOAD": os.path.abspath(a.lib)})):
        rc, out, err = run(cmd, env)
        warnings = [l for l in err.splitlines() if l.startswith("mnrt: MNRT_PROCS=abc")]
        expect("MNRT_PROCS=abc with %s: one warning, the default %s" % (how, default),
               rc == 0 and len(warnings) == 1 and out.strip() == default, rc, out, err)

    print("FAILED" if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
