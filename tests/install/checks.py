"""The checks of the install tests (installed_run.py, man_pages.py): each
prints ok or FAIL with what it checked; verdict() says PASS or FAILED at
the end and gives the exit status."""

failures = []


def expect(what, cond, detail=""):
    print("%s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        if detail:
            print("  " + detail.replace("\n", "\n  "))
        failures.append(what)
    return cond


def verdict():
    print("FAILED" if failures else "PASS")
    return 1 if failures else 0
