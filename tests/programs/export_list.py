#!/usr/bin/env python3
"""libmnrt.so exports only the names a program may call (docs/design.md §3):
every dynamic symbol it defines must be listed in shim/exports.map and
must be a name libc.so.6 itself exports (an interposed POSIX/glibc name)
or mnrt_* (mnrt.h); an internal mn_* symbol must never leak (a program or
another library could bind to it, or clash with it). Conversely every
function the library defines under a libc name must be exported, or the
program silently calls glibc's version instead of mnrt's (e.g. a setuid
that waits forever for the Gs, docs/glibc-facts.md §5); names that libc_nonshared.a
links into every library (atexit, pthread_atfork) are exempt.

usage: export_list.py --nm NM --cc CC... --map exports.map LIBMNRT
"""
import argparse
import re
import subprocess
import sys


def defined_symbols(nm, args, path):
    """{name: type letter} of the defined symbols nm lists for path."""
    out = subprocess.run([nm] + args + ["--defined-only", path], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2].split("@")[0]] = parts[1]
    return syms


def map_globals(path):
    text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
    m = re.search(r"global:(.*?)local:", text, flags=re.S)
    if not m:
        sys.exit("%s: no global: ... local: section" % path)
    return {s.strip() for s in m.group(1).split(";") if s.strip()}


def libc_path():
    """The C library this very interpreter runs on (the system's)."""
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if re.search(r"/libc\.so\.6$", path):
            return path
    sys.exit("cannot find libc.so.6 in /proc/self/maps")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--cc", nargs="+", default=["cc"])
    ap.add_argument("--map", required=True)
    ap.add_argument("lib")
    a = ap.parse_args()

    exported = defined_symbols(a.nm, ["-D"], a.lib)
    listed = map_globals(a.map)
    libc = set(defined_symbols(a.nm, ["-D"], libc_path()))
    problems = []
    for name in sorted(exported):
        if name.startswith("mn_"):
            problems.append("%s: an internal symbol is exported" % name)
        elif name not in listed:
            problems.append("%s: exported but not listed in %s" % (name, a.map))
        elif not name.startswith("mnrt_") and name not in libc:
            problems.append("%s: neither a name libc.so.6 exports nor mnrt_*" % name)

    # functions defined under libc names but kept local
    nonshared_path = subprocess.run(a.cc + ["-print-file-name=libc_nonshared.a"], check=True,
                                    stdout=subprocess.PIPE,
                                    universal_newlines=True).stdout.strip()
    nonshared = set(defined_symbols(a.nm, [], nonshared_path))
    try:
        everything = defined_symbols(a.nm, [], a.lib)
    except subprocess.CalledProcessError:
        everything = {}
    if not everything:
        print("note: %s has no symbol table (stripped): hidden definitions not checked" % a.lib)
    for name, kind in sorted(everything.items()):
        if kind == "t" and name in libc and name not in nonshared and name not in exported:
            problems.append("%s: defined as libc's %s but not exported (missing from %s?)"
                            % (name, name, a.map))

    for p in problems:
        print("FAIL: " + p)
    print("%d exported symbols, %d names in %s" % (len(exported), len(listed), a.map))
    if problems:
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
