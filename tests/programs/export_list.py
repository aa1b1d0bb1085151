#!/usr/bin/env python3
"""libmnrt.so exports only the names a program may call (docs/design.md §3):
every dynamic symbol it defines must be listed in shim/exports.map and
must be a name glibc itself exports (an interposed POSIX/glibc name, in
libc.so.6 or, before glibc 2.34, its other libraries; or one newer glibc
has) or mnrt_* (mnrt.h); an internal mn_* symbol must never leak (a program or
another library could bind to it, or clash with it). Conversely every
function the library defines under a libc name must be exported, or the
program silently calls glibc's version instead of mnrt's (e.g. a setuid
that waits forever for the Gs, docs/glibc-facts.md §5); names that libc_nonshared.a
links into every library (atexit, pthread_atfork) are exempt.

usage: export_list.py --nm NM --cc CC... --map exports.map LIBMNRT
"""
import argparse
import os
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


# glibc's libraries: libc.so.6 since 2.34, the others apart before
GLIBC_LIBRARIES = ["libc.so.6", "libpthread.so.0", "librt.so.1", "libdl.so.2", "libanl.so.1",
                   "libutil.so.1"]
# names glibc gained after the oldest it runs on (2.31), with the version:
# mnrt exports them for programs built against a newer glibc
NEWER = {"close_range": (2, 34), "closefrom": (2, 34), "_Fork": (2, 34), "epoll_pwait2": (2, 35)}


def glibc_paths():
    """glibc's libraries this very interpreter runs on (the system's),
    from the directory of its libc."""
    for line in open("/proc/self/maps"):
        path = line.split()[-1]
        if re.search(r"/libc([.-][0-9.]*)?\.so(\.6)?$", path):
            d = os.path.dirname(path)
            return [os.path.join(d, n) for n in GLIBC_LIBRARIES
                    if os.path.exists(os.path.join(d, n))]
    sys.exit("cannot find libc in /proc/self/maps")


def glibc_version():
    return tuple(int(x) for x in os.confstr("CS_GNU_LIBC_VERSION").split()[1].split(".")[:2])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--cc", nargs="+", default=["cc"])
    ap.add_argument("--map", required=True)
    ap.add_argument("lib")
    a = ap.parse_args()

    exported = defined_symbols(a.nm, ["-D"], a.lib)
    listed = map_globals(a.map)
    libc = set()
    for path in glibc_paths():
        libc |= set(defined_symbols(a.nm, ["-D"], path))
    libc |= {n for n, v in NEWER.items() if glibc_version() < v}
    problems = []
    for name in sorted(exported):
        if name.startswith("mn_"):
            problems.append("%s: an internal symbol is exported" % name)
        elif name not in listed:
            problems.append("%s: exported but not listed in %s" % (name, a.map))
        elif not name.startswith("mnrt_") and name not in libc:
            problems.append("%s: neither a name glibc exports nor mnrt_*" % name)

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
