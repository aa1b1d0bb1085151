#!/usr/bin/env python3
"""An installed mnrt works from where it was installed (README, "Installing"):
ROOT is a scratch root holding an install (`meson install --destdir ROOT`,
or a Debian package unpacked with `dpkg -x`). Checks that ROOT holds the
tool, libmnrt.so, the gdb extension where gdb auto-loads it for that
library, mnrt.h, mnrt.pc and both man pages; builds the probe
against the installed header, found through the installed mnrt.pc
(pkg-config with ROOT as its sysroot); runs it with ROOT's `mnrt run` and
checks that it ran under M:N with ROOT's library (its threads waited on
fewer kernel threads than there were threads, and mnrt's counters saw
them); and that a copy of the tool outside ROOT, which cannot find the
library next to itself, looks for it at the path configured at build
time.

usage: installed_run.py [--install BUILDDIR] --root ROOT --probe-src PROBE.c
  --install BUILDDIR   first `meson install -C BUILDDIR --destdir ROOT`
                       (ROOT is then made and removed by this script)
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

from checks import expect, verdict

THREADS = 64


def one(root, pattern, what):
    found = sorted(glob.glob(os.path.join(root, pattern), recursive=True))
    expect("%s installed (%s)" % (what, pattern), len(found) == 1, "found: %r" % found)
    return found[0] if found else None


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("MNRT_")}
    env.update(extra or {})
    return env


def run(cmd, env=None, timeout=120):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env or clean_env(), timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def build_probe(root, pc, src, out):
    """The probe, compiled with the cflags of ROOT's mnrt.pc."""
    env = clean_env({"PKG_CONFIG_LIBDIR": os.path.dirname(pc),
                     "PKG_CONFIG_SYSROOT_DIR": root})
    rc, cflags, err = run(["pkg-config", "--cflags", "mnrt"], env)
    if not expect("pkg-config --cflags mnrt", rc == 0, err):
        return False
    rc, lib, err = run(["pkg-config", "--variable=library", "mnrt"], env)
    lib = lib.strip()
    if lib and not lib.startswith(root):
        lib = root + lib
    expect("mnrt.pc's library variable names the installed libmnrt.so (%s)" % lib,
           rc == 0 and os.path.isfile(lib), err)
    cc = os.environ.get("CC", "cc")
    rc, out_, err = run([cc, "-O1", "-o", out, src] + cflags.split() + ["-pthread", "-ldl"])
    return expect("the probe compiles against the installed mnrt.h", rc == 0, err)


def check_run(root, mnrt, probe):
    rc, out, err = run([mnrt, "run", "--", probe, str(THREADS)])
    detail = "exit %d\nstdout: %s\nstderr: %s" % (rc, out[-2000:], err[-2000:])
    if not expect("%s run -- probe exits 0" % os.path.relpath(mnrt, root), rc == 0, detail):
        return
    lib = re.search(r"^library (\S+)$", out, re.M)
    expect("the program ran with ROOT's libmnrt.so",
           lib is not None and os.path.realpath(lib.group(1)).startswith(os.path.realpath(root)),
           detail)
    tasks = re.search(r"^threads (\d+) kernel_threads (\d+)$", out, re.M)
    expect("%d waiting threads held fewer kernel threads than threads (M:N)" % THREADS,
           tasks is not None and int(tasks.group(2)) < THREADS, detail)
    stats = re.search(r"^mnrt threads_created (\d+) parks (\d+)$", out, re.M)
    expect("mnrt_get_stats counted every thread and their parks",
           stats is not None and int(stats.group(1)) >= THREADS + 1 and
           int(stats.group(2)) >= THREADS, detail)


def check_moved_tool(root, mnrt, probe, scratch):
    """A copy of the tool that has no library next to it falls back to the
    absolute path configured at build time (prefix/libdir/libmnrt.so)."""
    away = os.path.join(scratch, "moved", "bin")
    os.makedirs(away)
    moved = shutil.copy(mnrt, away)
    configured = subprocess.run(["strings", mnrt], stdout=subprocess.PIPE,
                                universal_newlines=True).stdout
    configured = [l for l in configured.splitlines()
                  if l.startswith("/") and l.endswith("/libmnrt.so")]
    if not expect("the tool holds one configured absolute library path", len(configured) == 1,
                  repr(configured)):
        return
    rc, out, err = run([moved, "run", "--", probe, "2"])
    if os.path.exists(configured[0]):  # mnrt is installed on this machine too
        expect("a moved tool runs with the configured library %s" % configured[0],
               rc == 0 and ("library %s\n" % os.path.realpath(configured[0])) in out,
               out + err)
    else:
        expect("a moved tool names the configured path %s when it is missing" % configured[0],
               rc == 127 and configured[0] in err and out == "", err)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--install")
    ap.add_argument("--root")
    ap.add_argument("--probe-src", required=True)
    a = ap.parse_args()
    scratch = tempfile.mkdtemp(prefix="mnrt-installed-")
    try:
        root = a.root or os.path.join(scratch, "root")
        if a.install:
            rc, out, err = run(["meson", "install", "-C", a.install, "--no-rebuild", "--quiet",
                                "--destdir", root], timeout=300)
            if not expect("meson install --destdir", rc == 0, out + err):
                return 1
        root = os.path.realpath(root)
        mnrt = one(root, "**/bin/mnrt", "the mnrt tool")
        lib = one(root, "**/libmnrt.so", "libmnrt.so")
        gdb = one(root, "**/gdb/auto-load/**/libmnrt.so-gdb.py", "the gdb extension")
        if lib and gdb:
            want = "/gdb/auto-load" + os.path.dirname(lib)[len(root):] + "/libmnrt.so-gdb.py"
            expect("the gdb extension is where gdb looks for the library's (...%s)" % want,
                   gdb.endswith(want), gdb)
        one(root, "**/include/mnrt.h", "mnrt.h")
        pc = one(root, "**/pkgconfig/mnrt.pc", "mnrt.pc")
        one(root, "**/man1/mnrt.1*", "mnrt(1)")
        one(root, "**/man7/mnrt.7*", "mnrt(7)")
        one(root, "**/mnrt/demo_server", "the demo server")
        probe = os.path.join(scratch, "installed_probe")
        if mnrt and pc and build_probe(root, pc, a.probe_src, probe):
            check_run(root, mnrt, probe)
            check_moved_tool(root, mnrt, probe, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
