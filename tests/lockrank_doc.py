#!/usr/bin/env python3
"""docs/lock-order.md's table is core/lockrank.h's rank table: the same
locks, in the same order, with the same ranks (1 for the first), and the
kinds the header gives (MN_RANK_MULTI: the row says *several*;
MN_RANK_LEAF: *leaf*). A rank changed in one and not the other fails here.

usage: lockrank_doc.py LOCKRANK_H LOCK_ORDER_MD
"""
import re
import sys


def header_ranks(path):
    """[(name, kind)] of the MN_LOCK_RANKS list, outer first."""
    text = open(path).read()
    m = re.search(r"#define MN_LOCK_RANKS\(X\)(.*?)\n\n", text, flags=re.S)
    if not m:
        sys.exit("%s: no MN_LOCK_RANKS list" % path)
    ranks = re.findall(r'X\((\w+), "([^"]+)", (\w+)\)', m.group(1))
    if not ranks:
        sys.exit("%s: MN_LOCK_RANKS lists nothing" % path)
    return [(name, kind) for _, name, kind in ranks]


def doc_ranks(path):
    """[(rank, name, lock column)] of the rows of the table under
    "## The order"."""
    text = open(path).read()
    m = re.search(r"^## The order\n(.*?)(?=^## )", text, flags=re.S | re.M)
    if not m:
        sys.exit("%s: no '## The order' section" % path)
    rows = []
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].isdigit():
            continue
        code = re.search(r"`([^`]+)`", cells[1])
        if not code:
            sys.exit("%s: rank %s names no lock in `code`" % (path, cells[0]))
        rows.append((int(cells[0]), code.group(1), cells[1]))
    return rows


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    header = header_ranks(sys.argv[1])
    doc = doc_ranks(sys.argv[2])
    errors = []
    for i, (rank, name, column) in enumerate(doc):
        if rank != i + 1:
            errors.append("doc row %d has rank %d" % (i + 1, rank))
    if [n for n, _ in header] != [n for _, n, _ in doc]:
        errors.append("the locks differ:\n  lockrank.h:     %s\n  lock-order.md:  %s"
                      % (", ".join(n for n, _ in header), ", ".join(n for _, n, _ in doc)))
    for (name, kind), (rank, _, column) in zip(header, doc):
        for flag, word in (("MN_RANK_MULTI", "*several*"), ("MN_RANK_LEAF", "*leaf*")):
            if (kind == flag) != (word in column):
                errors.append("rank %d (%s): the header says %s, the doc %s" %
                              (rank, name, kind, "says " + word if word in column
                               else "does not say " + word))
    if errors:
        print("\n".join(errors))
        return 1
    print("%d ranks, the same in core/lockrank.h and docs/lock-order.md" % len(header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
