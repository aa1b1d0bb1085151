#!/usr/bin/env python3
"""The man pages stay true to what they describe: mnrt(1) documents every
environment variable of README's table ("Using it") in its ENVIRONMENT
section, every command of `mnrt --help` in COMMANDS, and every option of
`mnrt run --help`, `mnrt dump --help` and `mnrt top --help`; both pages render without
warnings (`man --warnings`, as lintian checks them).

usage: man_pages.py --readme README.md --mnrt TOOL MAN1 MAN7
"""
import argparse
import re
import shutil
import subprocess
import sys

from checks import expect, verdict


def section(page, name):
    """The text of section `name` (.SH NAME ... up to the next .SH)."""
    m = re.search(r"^\.SH %s\n(.*?)(?=^\.SH |\Z)" % re.escape(name), page, re.M | re.S)
    return m.group(1) if m else ""


def plain(troff):
    """troff source without font escapes and with \\- as -."""
    return re.sub(r"\\f[BIRP]|\\c", "", troff).replace("\\-", "-")


def readme_variables(readme):
    """The variables of README's environment table: `NAME=...` or `NAME` in
    the first cell of the rows after the '| variable | meaning |' header."""
    text = open(readme).read()
    table = text[text.index("| variable | meaning |"):]
    names = []
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        names.append(re.match(r"\|\s*`([A-Z_]+)", line).group(1))
    return names


def usage(mnrt, *args):
    p = subprocess.run([mnrt] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--readme", required=True)
    ap.add_argument("--mnrt", required=True)
    ap.add_argument("man1")
    ap.add_argument("man7")
    a = ap.parse_args()
    page = open(a.man1).read()

    env = section(page, "ENVIRONMENT")
    names = readme_variables(a.readme)
    expect("README's table lists variables (%s)" % ", ".join(names), len(names) >= 5)
    for name in names:  # an item of its own: .TP, then .B/.BI/.BR NAME
        expect("mnrt(1) ENVIRONMENT documents %s" % name,
               re.search(r"^\.TP\n\.B[IR]? %s\b" % name, env, re.M) is not None)

    commands = plain(section(page, "COMMANDS"))
    listed = sorted(set(re.findall(r"^  (\w+) ", usage(a.mnrt, "--help"), re.M)))
    expect("mnrt --help lists commands (%s)" % ", ".join(listed), "run" in listed)
    for cmd in listed:
        expect("mnrt(1) COMMANDS documents %s" % cmd, ("\n.B %s\n" % cmd) in "\n" + commands)
    for cmd in ("run", "dump", "top"):
        for opt in re.findall(r"^\s+(-[-\w]+)", usage(a.mnrt, cmd, "--help"), re.M):
            expect("mnrt(1) documents mnrt %s %s" % (cmd, opt), opt in commands)

    man = shutil.which("man")
    for path in (a.man1, a.man7):
        if not man:
            print("(man not found: %s not rendered)" % path)
            continue
        p = subprocess.run([man, "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           universal_newlines=True, env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"})
        expect("%s renders without warnings" % path, p.returncode == 0 and not p.stderr.strip(),
               p.stderr)
    return verdict()


if __name__ == "__main__":
    sys.exit(main())
