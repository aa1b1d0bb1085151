#!/usr/bin/env python3
"""Every exported I/O name has a semantic test.

An I/O name is a name exported in shim/exports.map and defined (MN_EXPORT)
in one of the shim's files of calls on fds and of calls that block in the
kernel (FILES below): a wrapper added there is counted at once.

A name is tested when a test program calls it directly (it is among the
undefined dynamic symbols of the executable, so the call reaches mnrt's
definition through the dynamic linker) and that program is the one a
meson test runs natively and under the preload with tests/run_program.py,
which requires the same exit status and the same output (the tests are
read from the build directory's introspection, meson-info/intro-tests.json).
A call made only inside glibc (fopen's open) or only by a Python or Rust
test does not count. tests/io/io_names.c is where a name no other program
calls gets its test.

usage: exported_io_tested.py SOURCE_ROOT BUILD_ROOT
"""
import json
import os
import re
import subprocess
import sys

FILES = ["io.c", "socket.c", "poll.c", "epoll.c", "fd.c", "stdio_close.c", "blocking.c"]


def exported(root):
    text = re.sub(r"/\*.*?\*/", "", open(os.path.join(root, "shim/exports.map")).read(),
                  flags=re.S)
    m = re.search(r"global:(.*?)local:", text, flags=re.S)
    return {s.strip() for s in m.group(1).split(";") if s.strip()}


def io_names(root):
    names = {}
    for f in FILES:
        src = open(os.path.join(root, "shim", f)).read()
        for name in re.findall(r"MN_EXPORT[^(;{]*?\b(\w+)\s*\(", src):
            names[name] = f
    return names


def compared_programs(build):
    """The test programs of the build that run_program.py runs: the
    command after its '--', when it is an executable built under tests/
    (not what that program runs in turn: echo_server's load generator
    runs natively)."""
    tests = json.load(open(os.path.join(build, "meson-info", "intro-tests.json")))
    tests_dir = os.path.realpath(os.path.join(build, "tests"))
    exes = set()
    for t in tests:
        cmd = t["cmd"]
        if not any(c.endswith("run_program.py") for c in cmd) or "--" not in cmd:
            continue
        prog = cmd[cmd.index("--") + 1]
        path = os.path.realpath(os.path.join(t.get("workdir") or build, prog))
        if path.startswith(tests_dir + os.sep) and os.path.isfile(path):
            with open(path, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    exes.add(path)
    return exes


def imported(exe):
    out = subprocess.run(["nm", "-D", "--undefined-only", exe], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, build = sys.argv[1], sys.argv[2]
    names = io_names(root)
    exports = exported(root)
    exes = compared_programs(build)
    if not exes:
        sys.exit("no test program run by run_program.py found in %s" % build)
    calls = {}
    for exe in exes:
        for sym in imported(exe):
            calls.setdefault(sym, []).append(os.path.basename(exe))
    untested = sorted(n for n in names if n in exports and n not in calls)
    for n in sorted(names):
        if n in exports and n in calls:
            print("%-20s %-14s called by %s" % (n, names[n], ", ".join(sorted(calls[n])[:3])))
    if untested:
        print("\nexported I/O names no compared test program calls (add a use to "
              "tests/io/io_names.c):")
        for n in untested:
            print("  %s (shim/%s)" % (n, names[n]))
        return 1
    print("\n%d exported I/O names, each called by a test program run natively and under mnrt"
          % sum(1 for n in names if n in exports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
