#!/usr/bin/env python3
"""Boot never kills the program: where mnrt cannot set itself up, it says
why in exactly one `mnrt: ...` line and the program runs natively, with
the same output as without mnrt. Each case runs boot_probe (4 threads
adding to a counter) natively and with libmnrt.so preloaded under the
same condition:
- libmnrt.so dlopen'ed by the program after start-up (not in front of
  glibc);
- a glibc that does not describe a field mnrt needs, and one whose
  description is wrong: a patched copy of the running glibc's library
  that holds libthread_db's descriptors (glibc_fixture.py), loaded
  instead of the real one in both runs;
- no kernel thread to be had: RLIMIT_NPROC of 1 for an unprivileged user
  (skipped when not run as root, which it needs to change user): since
  mnrt needs one only with the program's first thread, it boots and says
  nothing, and that thread fails with EAGAIN as natively;
- valgrind (skipped when valgrind is not installed).
A last case checks that the condition really stops mnrt only: the same
program preloaded without any of them boots (no message).

usage: boot_refusals.py --lib LIBMNRT --probe BOOT_PROBE
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile

from glibc_fixture import Fixture

failures = []
NOBODY = 65534


def run(cmd, env_extra=None, preexec=None, timeout=120):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("MNRT_")}
    env.update(env_extra or {})
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=timeout, preexec_fn=preexec)
    return p.returncode, p.stdout, p.stderr


def case(name, native, mnrt, says):
    """native, mnrt: (cmd, env, preexec); says: text the one mnrt line must hold."""
    nrc, nout, nerr = run(*native)
    rc, out, err = run(*mnrt)
    lines = [l for l in err.splitlines() if l.startswith("mnrt:")]
    problems = []
    if rc != 0 or nrc != 0:
        problems.append("exit %d natively, %d with mnrt" % (nrc, rc))
    if out != nout:
        problems.append("stdout %r natively, %r with mnrt" % (nout, out))
    if says is None and lines:
        problems.append("mnrt said %r" % lines)
    if says is not None and (len(lines) != 1 or says not in lines[0] or
                             "running the program natively" not in lines[0]):
        problems.append("expected one line with %r, got %r" % (says, lines))
    print("%s: %s" % ("ok" if not problems else "FAIL", name))
    print("  mnrt said: %r; stdout: %r" % (lines, out))
    for p in problems:
        print("  " + p)
    if problems:
        failures.append(name)


def as_nobody_with_one_process():
    resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--probe", required=True)
    a = ap.parse_args()
    lib, probe = (os.path.abspath(p) for p in (a.lib, a.probe))
    pre = {"LD_PRELOAD": lib}

    case("preloaded as it should be: boots, says nothing",
         ([probe], None, None), ([probe], pre, None), None)
    case("dlopen'ed after start-up",
         ([probe], None, None), ([probe, lib], None, None), "not in front of glibc")
    with tempfile.TemporaryDirectory() as tmp:
        fx = Fixture(tmp, "_thread_db_pthread_tid").hide()
        case("a glibc that does not describe struct pthread.tid",
             ([probe], fx, None), ([probe], dict(fx, **pre), None),
             "glibc does not describe struct pthread.tid (no _thread_db_pthread_tid)")
    with tempfile.TemporaryDirectory() as tmp:
        fx = Fixture(tmp, "_thread_db_sizeof_pthread").hide()
        case("a glibc that does not describe struct pthread at all",
             ([probe], fx, None), ([probe], dict(fx, **pre), None),
             "glibc does not describe struct pthread (no _thread_db_sizeof_pthread)")
    with tempfile.TemporaryDirectory() as tmp:
        f = Fixture(tmp, "_thread_db_pthread_tid")
        fx = f.set_u32(2, f.u32(2) + 4)  # {bits, count, offset}: the next field
        case("a glibc whose description of struct pthread.tid is wrong",
             ([probe], fx, None), ([probe], dict(fx, **pre), None),
             "struct pthread.tid does not hold the main thread's id")
    if os.geteuid() == 0:
        # the probe cannot make its threads either. mnrt needs a thread of
        # glibc's only with the program's first thread (shim/create.c):
        # that one fails as natively (EAGAIN), and mnrt has nothing to say
        limited = as_nobody_with_one_process
        case("no kernel thread to be had (RLIMIT_NPROC): boots, says nothing",
             ([probe], None, limited), ([probe], pre, limited), None)
    else:
        print("skipped: RLIMIT_NPROC (needs root to run as another user)")
    valgrind = shutil.which("valgrind")
    if valgrind:
        case("valgrind",
             ([valgrind, "-q", probe], None, None), ([valgrind, "-q", probe], pre, None),
             "valgrind detected")
    else:
        print("skipped: valgrind (not installed)")
    print("PASS" if not failures else "FAILED: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
