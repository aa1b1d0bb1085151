#!/usr/bin/env python3
"""Tests of `mnrt ab` itself (the harness, not mnrt): each case runs the
tool on a real server on loopback and checks what it reports.

usage: check_ab.py MNRT DEMO_SERVER CASE [PREFORK_DEMO]
cases: consistent  never-listens  exits-at-start  killed-mid-run
       one-side-fails  forking-server  report-files  svg  speaks-first  banner  mariadb
       http10-close  http-chunked  chatty-server  threads-end  rate-requeue
       step-unequal  idle-unequal  progress-lines
       load-wrk  load-parsers  load-generators  load-fails  load-hangs  ready-fails  load-refuses
       placement  placement-refused  prefork

Servers nobody here wrote (python3 -m http.server) and small ones with the
habits of real ones (servers.py) run natively and under mnrt."""
import json
import os
import subprocess
import sys
import shutil
import socket
import struct
import tempfile
import xml.etree.ElementTree as ET
import zlib

# Every field report.json documents (tools/ab/README.md).
TOP = ["tool", "version", "machine", "time", "config", "server_cpus_seen", "steps", "idle",
       "series", "marks", "load", "failures", "ok"]
CONFIG = ["server", "protocol", "size", "path", "connections", "idle", "duration_s",
          "warmup_s", "rounds", "rate", "load_threads", "procs", "library", "load", "ready",
          "server_cpus", "load_cpus"]
STEP = ["connections", "native", "mnrt", "ratio"]
SIDE = ["rounds", "median", "histogram"]
RUN = ["ok", "seconds", "connections_served", "requests", "requests_per_s", "unit", "queries_per_s", "latency_ns", "errors",
       "kernel_threads_max", "kernel_threads_mean", "processes_max",
       "kernel_threads_per_process_max", "rss_max_kb", "cpu_user_s", "cpu_sys_s",
       "voluntary_switches", "involuntary_switches"]
LATENCY = ["p50", "p75", "p90", "p95", "p99", "p99_9", "max", "mean"]
ERRORS = ["connect", "reset", "timeout", "bad_reply", "reported"]
IDLE = ["ok", "answered", "open", "kernel_threads", "processes", "kernel_threads_per_process",
        "rss_kb", "cpu_s", "hold_s"]
LOADRUN = ["ran", "exit_status", "signal", "timed_out", "seconds", "format", "output_bytes",
           "output_truncated", "output"]

# outputs/FILE: what mnrt ab must read from it (ok: the run passes)
MS = 1e6
PARSED = [
    ("wrk.txt", {"format": "wrk", "ok": True, "rps": 1407.46, "unit": "requests",
                 "requests": 1554, "errors": 0, "p50": 2.06 * MS, "p75": 3.71 * MS,
                 "p90": 6.96 * MS, "p99": 16.55 * MS, "mean": 3.25 * MS, "max": 24.38 * MS}),
    ("wrk2.txt", {"format": "wrk", "ok": True, "rps": 1999.62, "requests": 19998,
                  "p50": 1.22 * MS, "p99": 3.41 * MS, "p99_9": 7.86 * MS, "max": 12.03 * MS,
                  "mean": 1.31 * MS}),
    ("wrk-404.txt", {"format": "wrk", "ok": False, "requests": 0, "errors": 727}),
    ("wrk-resets.txt", {"format": "wrk", "ok": False, "requests": 0, "errors": 18832}),
    ("ab.txt", {"format": "ab", "ok": True, "rps": 1793.56, "requests": 200, "errors": 0,
                "p50": 2 * MS, "p75": 2 * MS, "p90": 3 * MS, "p95": 4 * MS, "p99": 9 * MS,
                "max": 11 * MS, "mean": 2.23 * MS}),
    ("ab-length.txt", {"format": "ab", "ok": True, "requests": 100, "errors": 0}),
    ("h2load.txt", {"format": "h2load", "ok": True, "rps": 1059.10, "requests": 200,
                    "errors": 0, "mean": 3.63 * MS, "max": 33.83 * MS, "p50": 0}),
    ("h2load-refused.txt", {"format": "h2load", "ok": False, "requests": 0, "errors": 20}),
    ("sysbench-oltp.txt", {"format": "sysbench", "ok": True, "unit": "transactions",
                           "rps": 2215.25, "qps": 35444.01, "requests": 6679, "errors": 0,
                           "p99": 14.46 * MS, "mean": 7.19 * MS, "max": 39.66 * MS}),
    ("sysbench-cpu.txt", {"format": "sysbench", "ok": True, "unit": "events", "rps": 3961.33,
                          "requests": 3970, "p95": 1.5 * MS, "mean": 0.5 * MS, "max": 50.12 * MS}),
]

QUICK = ["-d", "1", "--warmup", "0.3", "--rounds", "1", "--start-timeout", "3"]
LOAD_QUICK = ["-d", "1", "--rounds", "1", "--start-timeout", "3"]  # --warmup is not for --load
HERE = os.path.dirname(os.path.abspath(__file__))
SERVERS = [sys.executable, os.path.join(HERE, "servers.py")]
WRKFMT = "%s %s {host} {port} {duration}" % (sys.executable, os.path.join(HERE, "wrkfmt.py"))


def allowed_list(text):
    """The CPUs of the first Cpus_allowed_list line of text, as a list."""
    for line in text.splitlines():
        if line.startswith("Cpus_allowed_list:"):
            cpus = []
            for part in line.split(":", 1)[1].strip().split(","):
                lo, _, hi = part.partition("-")
                cpus += range(int(lo), int(hi or lo) + 1)
            return cpus
    need(False, "no Cpus_allowed_list line in %r" % text)


def http_server():
    """python3 -m http.server on loopback, any port, serving a small page."""
    www = tempfile.mkdtemp(prefix="mnrt-ab-www-")
    with open(os.path.join(www, "index.html"), "w") as f:
        f.write("hello\n")
    return [sys.executable, "-m", "http.server", "-b", "127.0.0.1", "-d", www, "0"]


def ab(mnrt, args, out=None, stderr=subprocess.STDOUT, quick=QUICK):
    """Runs mnrt ab; returns its exit status and output (stdout, and stderr
    too unless stderr=subprocess.PIPE, then a third value)."""
    cmd = [mnrt, "ab"] + quick + (["--out", out] if out else []) + args
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, timeout=120)
    text = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace") if p.stderr is not None else ""
    print("$ " + " ".join(cmd) + "\n" + text + err)
    return (p.returncode, text, err) if stderr == subprocess.PIPE else (p.returncode, text)


def table_row(text, label):
    """The cells of the first table row that starts with label."""
    for line in text.splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label):].split()
    need(False, "the table has no row %r" % label)


def png_pixels(path):
    """(width, height, rows of RGBA bytes) of an 8-bit RGBA or RGB PNG,
    non-interlaced, as rsvg-convert writes them."""
    data = open(path, "rb").read()
    need(data[:8] == b"\x89PNG\r\n\x1a\n", path + " is not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            need(depth == 8 and ctype in (2, 6) and not interlace, "PNG format %d/%d" % (depth, ctype))
            bpp = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def count_colour(rows, bpp, rgb, tol=40):
    """How many pixels are within tol of the colour rgb."""
    n = 0
    for row in rows:
        for i in range(0, len(row), bpp):
            if abs(row[i] - rgb[0]) + abs(row[i + 1] - rgb[1]) + abs(row[i + 2] - rgb[2]) <= tol:
                n += 1
    return n


def svg_texts(svg):
    """Every <text>'s whole text (tspans joined), by element."""
    return ["".join(e.itertext()) for e in svg.iter() if e.tag.endswith("}text")]


def path_points(d):
    """The segments of a path's d ("M x,y L x,y ... M ..."): lists of (x, y)."""
    segs = []
    for tok in d.split():
        if tok[0] == "M":
            segs.append([])
        x, y = tok[1:].split(",")
        segs[-1].append((float(x), float(y)))
    return segs


def need(cond, what):
    if not cond:
        print("FAIL: " + what)
        sys.exit(1)


def has_fields(obj, fields, where):
    for f in fields:
        need(f in obj, "%s lacks the field %r" % (where, f))


def main():
    mnrt, demo, case = sys.argv[1:4]
    out = tempfile.mkdtemp(prefix="mnrt-ab-test-")
    if case == "consistent":
        rc, text = ab(mnrt, ["--only", "native", "-c", "50", "--", demo, "0"], out)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        run = d["steps"][0]["native"]["rounds"][0]
        hist = d["steps"][0]["native"]["histogram"]
        need(run["requests"] > 0, "no requests")
        need(run["requests"] == sum(b[2] for b in hist["buckets"]) == hist["count"],
             "requests %d, histogram holds %d" % (run["requests"], hist["count"]))
        lat = run["latency_ns"]
        order = [lat[k] for k in ["p50", "p90", "p99", "p99_9", "max"]]
        need(order == sorted(order) and order[0] > 0, "percentiles out of order: %s" % order)
        need(all(v == 0 for v in run["errors"].values()), "errors: %s" % run["errors"])
        need(run["kernel_threads_max"] >= 50, "50 connections, %d threads" % run["kernel_threads_max"])
        need(run["processes_max"] == 1, "one process, %d reported" % run["processes_max"])
        need("in one process" not in text and "processes (max)" not in text,
             "the rows of a server of several processes, for one of one")
    elif case == "prefork":
        # a master and 2 workers (tools/demo/prefork_demo.c): the tree's
        # threads in all, in its largest process, and its processes
        prefork = sys.argv[4]
        rc, text = ab(mnrt, ["-c", "20", "--idle", "30", "--", prefork, "-w", "2", "0"], out)
        need(rc == 0, "exit status %d" % rc)
        need(table_row(text, "processes (max)")[:3] == ["3", "3", "1.00x"],
             "the table does not show 3 processes a side")
        need(len(table_row(text, "in one process (max)")) >= 2, "no per-process row")
        d = json.load(open(os.path.join(out, "report.json")))
        for side in ("native", "mnrt"):
            run = d["steps"][0][side]["rounds"][0]
            has_fields(run, RUN, side + " run")
            need(run["processes_max"] == 3, "%s: %d processes" % (side, run["processes_max"]))
            need(1 <= run["kernel_threads_per_process_max"] <= run["kernel_threads_max"] - 2,
                 "%s: %d threads in one process of %d in all"
                 % (side, run["kernel_threads_per_process_max"], run["kernel_threads_max"]))
            idle = d["idle"][side][0]
            has_fields(idle, IDLE, side + " idle")
            need(idle["processes"] == 3, "%s idle: %d processes" % (side, idle["processes"]))
        # natively a connection is a thread of the worker holding it: 20 on
        # 2 workers, one of them holds 10 or more
        run = d["steps"][0]["native"]["rounds"][0]
        need(run["kernel_threads_max"] >= 23 and run["kernel_threads_per_process_max"] >= 11,
             "native: %d threads in all, %d in one process, for 20 connections on 2 workers"
             % (run["kernel_threads_max"], run["kernel_threads_per_process_max"]))
    elif case == "never-listens":
        # three rounds of both sides: it must give up after the first wait,
        # not wait again for every round and side
        rc, text = ab(mnrt, ["--rounds", "3", "--start-timeout", "1", "--", "sleep", "30"])
        need(rc != 0, "exit status 0")
        need(text.count("did not accept connections") == 1,
             "%d waits for the port, not 1" % text.count("did not accept connections"))
        need("mnrt ab: " in text, "no mnrt ab: message")
    elif case == "speaks-first":
        # a server that greets first (like MariaDB) is no echo server: the
        # run served nothing and must fail, saying so
        rc, text = ab(mnrt, ["-c", "5", "--"] + SERVERS + ["banner"], out)
        need(rc != 0, "exit status 0 for a run that served no request")
        need(not json.load(open(os.path.join(out, "report.json")))["ok"], "report.json says ok")
        need("speaks first" in text and "MariaDB" in text, "no word of the greeting")
        need("0 us" not in text, "latencies of 0 us without a reply")
        texts = svg_texts(ET.parse(os.path.join(out, "report.svg")).getroot())
        need(any("No latency data: no request was answered" in t for t in texts),
             "the latency panel is blank without a word")
        need("mnrt ab: " in text, "no mnrt ab: message")
    elif case == "banner":
        # --proto banner for a server that speaks first (servers.py banner
        # greets as MariaDB does): each request connects, times the greeting
        # and closes; idle connections are greeted and held
        rc, text = ab(mnrt, ["--proto", "banner", "-c", "4", "--idle", "20", "--"]
                      + SERVERS + ["banner"], out)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        need(d["config"]["protocol"] == "banner", "protocol %r" % d["config"]["protocol"])
        for side in ("native", "mnrt"):
            run = d["steps"][0][side]["rounds"][0]
            need(run["requests"] >= 10 and run["latency_ns"]["p50"] > 0,
                 "%s: %d greetings, p50 %d ns" % (side, run["requests"], run["latency_ns"]["p50"]))
            need(all(v == 0 for v in run["errors"].values()), "%s: errors %s" % (side, run["errors"]))
            idle = d["idle"][side][0]
            need(idle["answered"] == idle["open"] == 20, "%s idle: %s" % (side, idle))
        need("load: banner" in text, "the table does not say what the load was")
        # an echo server never greets: the run fails, saying so
        rc, text = ab(mnrt, ["--only", "native", "--proto", "banner", "-c", "2", "-d", "0.5",
                             "--", demo, "0"])
        need(rc == 1 and "sent nothing on a new connection" in text,
             "no clear failure for a server that does not speak first")
    elif case == "mariadb":
        # a real server that speaks first: Debian's MariaDB (a thread per
        # connection), ready when mariadb-admin pings it, greeted through
        # --proto banner natively and under mnrt, 50 greeted connections held
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        install = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
        need(os.path.exists(mariadbd) and os.path.exists(install),
             "MariaDB is missing (tools/setup-debian.sh installs mariadb-server)")
        data = tempfile.mkdtemp(prefix="mnrt-ab-mariadb-")
        p = subprocess.run([install, "--no-defaults", "--datadir=" + data + "/data", "--user=root",
                            "--auth-root-authentication-method=normal", "--skip-test-db"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        need(p.returncode == 0, "mariadb-install-db: " + p.stdout.decode(errors="replace")[-2000:])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        cmd = [mariadbd, "--no-defaults", "--datadir=" + data + "/data", "--user=root",
               "--port=%d" % port, "--bind-address=127.0.0.1", "--socket=" + data + "/sock",
               "--skip-log-bin"]
        rc, text = ab(mnrt, ["--proto", "banner", "-c", "5", "--idle", "50", "--ready",
                             "mariadb-admin -h{host} -P{port} -uroot ping", "--"] + cmd, out,
                      quick=["-d", "1", "--warmup", "0.3", "--rounds", "1",
                             "--start-timeout", "60"])
        shutil.rmtree(data, ignore_errors=True)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        for side in ("native", "mnrt"):
            run = d["steps"][0][side]["rounds"][0]
            need(run["requests"] > 0 and all(v == 0 for v in run["errors"].values()),
                 "%s: %d greetings, errors %s" % (side, run["requests"], run["errors"]))
            idle = d["idle"][side][0]
            need(idle["open"] == 50, "%s: %d of 50 idle connections held" % (side, idle["open"]))
        # natively a connection is a thread; under mnrt the threads are Gs
        native, under = (d["idle"][s][0]["kernel_threads"] for s in ("native", "mnrt"))
        need(native >= 50 and under < native, "kernel threads: %d native, %d mnrt" % (native, under))
    elif case == "http10-close":
        # HTTP/1.0, a close after each response, a listen backlog of 5
        www = tempfile.mkdtemp(prefix="mnrt-ab-www-")
        with open(os.path.join(www, "index.html"), "w") as f:
            f.write("hello\n")
        rc, text = ab(mnrt, ["--proto", "http", "-c", "5", "--", sys.executable, "-m",
                             "http.server", "-b", "127.0.0.1", "-d", www, "0"], out)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        for side in ("native", "mnrt"):
            run = d["steps"][0][side]["rounds"][0]
            need(run["requests"] > 0, side + ": no requests")
            need(all(v == 0 for v in run["errors"].values()),
                 "%s: a close after a complete response counted as an error: %s"
                 % (side, run["errors"]))
    elif case == "step-unequal":
        # 40 connections asked; the server serves 20 natively and 30 under
        # mnrt, the rest wait in its accept queue: the table says how many
        # were served on each side and that the sides are not like for like
        rc, text = ab(mnrt, ["-c", "40", "--"] + SERVERS + ["limited", "20", "30"], out)
        d = json.load(open(os.path.join(out, "report.json")))
        served = [d["steps"][0][side]["rounds"][0]["connections_served"]
                  for side in ("native", "mnrt")]
        need(served == [20, 30], "connections served %s, not [20, 30]" % served)
        need(table_row(text, "connections served")[:2] == ["20", "30"],
             "the table does not show 20 and 30 connections served")
        need("not like for like" in text and "fewer than the 40 connections" in text,
             "no warning about unequal connections")
    elif case == "rate-requeue":
        # open loop at 40 requests/s; every third request is lost to a
        # keep-alive connection the server closes: it goes again on a new
        # connection (its latency from its first send), not lost nor counted
        # as an error
        rc, text = ab(mnrt, ["--proto", "http", "-c", "2", "--rate", "40", "-d", "3",
                             "--warmup", "0.5", "--"] + SERVERS + ["keepalive-drop"], out)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        for side in ("native", "mnrt"):
            run = d["steps"][0][side]["rounds"][0]
            want = 40 * run["seconds"]
            need(run["requests"] >= 0.85 * want,
                 "%s: %d requests served of the %.0f sent at 40/s" % (side, run["requests"], want))
            need(all(v == 0 for v in run["errors"].values()), "%s: errors %s" % (side, run["errors"]))
    elif case == "threads-end":
        # 20 threads that switched thousands of times end within the window:
        # the context switches counted are those made in the window, never
        # fewer than none
        rc, text = ab(mnrt, ["-c", "1", "--rate", "20", "-d", "3", "--warmup", "0", "--"]
                      + SERVERS + ["fading"], out)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        for side in ("native", "mnrt"):
            run = d["steps"][0][side]["rounds"][0]
            need(run["voluntary_switches"] >= 0 and run["involuntary_switches"] >= 0,
                 "%s: %d voluntary and %d involuntary switches" % (
                     side, run["voluntary_switches"], run["involuntary_switches"]))
        need(not table_row(text, "context switches/s")[0].startswith("-"),
             "a negative rate of context switches in the table")
    elif case == "chatty-server":
        # a server that logs every connection to stderr (400 KB for 1,000
        # idle connections): ab keeps its stderr, but must never make it
        # wait for ab to read it, whatever ab is doing
        rc, text = ab(mnrt, ["-c", "2", "-d", "0.3", "--warmup", "0", "--idle", "1000", "--"]
                      + SERVERS + ["chatty"], out)
        d = json.load(open(os.path.join(out, "report.json")))
        opened = [d["idle"][side][0]["open"] for side in ("native", "mnrt")]
        need(opened == [1000, 1000], "held %s of 1000 idle connections" % opened)
        need(rc == 0, "exit status %d" % rc)
    elif case == "http-chunked":
        # chunked bodies (extensions, trailers, 100 KB ones) are replies,
        # not bad ones, on keep-alive connections
        rc, text = ab(mnrt, ["--proto", "http", "-c", "4", "--"] + SERVERS + ["chunked"], out)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        for side in ("native", "mnrt"):
            run = d["steps"][0][side]["rounds"][0]
            need(run["requests"] >= 10, "%s: %d requests" % (side, run["requests"]))
            need(all(v == 0 for v in run["errors"].values()),
                 "%s: chunked replies counted as errors: %s" % (side, run["errors"]))
    elif case == "idle-unequal":
        # 20 connections open natively, 30 under mnrt, 60 asked for: the
        # table shows each side's count and says the memory is not comparable
        rc, text = ab(mnrt, ["-c", "2", "-d", "0.5", "--warmup", "0", "--idle", "60", "--"] + SERVERS + ["limited", "20", "30"],
                      out)
        d = json.load(open(os.path.join(out, "report.json")))
        opened = [d["idle"][side][0]["open"] for side in ("native", "mnrt")]
        need(opened == [20, 30], "opened %s, not [20, 30]" % opened)
        need(table_row(text, "connections held")[:2] == ["20", "30"],
             "the table does not show 20 and 30 connections held")
        need("not like for like" in text, "no warning about unequal counts")
    elif case == "progress-lines":
        # not a terminal: one line per phase on stderr, none with --quiet
        rc, text, err = ab(mnrt, ["--only", "native", "-c", "5", "--rounds", "2", "--",
                                  demo, "0"], stderr=subprocess.PIPE)
        need(rc == 0, "exit status %d" % rc)
        lines = [l for l in err.splitlines() if l.startswith("mnrt ab: round ")]
        need(len(lines) >= 6, "%d progress lines for 2 rounds" % len(lines))
        need(len(set(lines)) == len(lines), "progress lines repeat")
        need("\r" not in text + err, "terminal control in a pipe")
        rc, text, err = ab(mnrt, ["--quiet", "--only", "native", "-c", "5", "--", demo, "0"],
                           stderr=subprocess.PIPE)
        need(rc == 0 and "round" not in err, "--quiet still prints progress")
    elif case == "load-wrk":
        # the user's load command (wrk's output format) against a server
        # nobody here wrote: its figures in the table for both sides, its
        # output and status in report.json
        rc, text = ab(mnrt, ["--load", WRKFMT, "--"] + http_server(), out, quick=LOAD_QUICK)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        has_fields(d, TOP, "report")
        has_fields(d["config"], CONFIG, "config")
        need(d["config"]["load"] == WRKFMT, "config.load is %r" % d["config"]["load"])
        for i, side in enumerate(("native", "mnrt")):
            lr = d["load"][side][0]
            has_fields(lr, LOADRUN, side + " load")
            need(lr["exit_status"] == 0 and lr["format"] == "wrk", "%s load: %s" % (side, lr))
            said = [l for l in lr["output"].splitlines() if l.startswith("Requests/sec:")]
            need(said, side + ": the load output lacks Requests/sec")
            run = d["steps"][0][side]["rounds"][0]
            need(abs(run["requests_per_s"] - float(said[0].split()[1])) < 0.1,
                 "%s: %s requests/s in report.json, the load said %s" % (side, run["requests_per_s"], said[0]))
            need(run["latency_ns"]["p50"] > 0 and run["latency_ns"]["p99"] >= run["latency_ns"]["p50"],
                 "%s latencies %s" % (side, run["latency_ns"]))
            need(run["kernel_threads_max"] >= 1 and run["rss_max_kb"] > 0, side + ": no server figures")
        for label in ("requests/s", "latency p50", "latency p75", "latency p90", "latency p99"):
            cells = table_row(text, label)
            need(len(cells) >= 2 and "(see" not in " ".join(cells) and "FAILED" not in cells,
                 "row %s: %s" % (label, cells))
        need("not understood" not in text, "wrk's format not understood")
    elif case == "load-parsers":
        # what wrk, wrk2, ApacheBench, h2load and sysbench print (outputs/):
        # their figures in report.json, and a run whose generator exited 0
        # after measuring only failures fails
        for name, want in PARSED:
            o = tempfile.mkdtemp(prefix="mnrt-ab-test-")
            rc, text = ab(mnrt, ["--only", "native", "--load",
                                 "cat " + os.path.join(HERE, "outputs", name), "--"]
                          + SERVERS + ["banner"], o, quick=["-d", "0.1", "--rounds", "1"])
            d = json.load(open(os.path.join(o, "report.json")))
            run = d["steps"][0]["native"]["rounds"][0]
            got = {"format": d["load"]["native"][0]["format"], "ok": d["ok"],
                   "rps": run["requests_per_s"], "unit": run["unit"], "qps": run["queries_per_s"],
                   "requests": run["requests"], "errors": run["errors"]["reported"]}
            got.update(run["latency_ns"])
            for k, v in want.items():
                need(abs(got[k] - v) <= 0.05 if isinstance(v, float) else got[k] == v,
                     "%s: %s is %r, not %r" % (name, k, got[k], v))
            need(rc == (0 if want["ok"] else 1), "%s: exit status %d" % (name, rc))
            if not want["ok"]:
                need("exited with status 0 but reported" in text, name + ": no word of why")
    elif case == "load-generators":
        # the real generators against real servers, both sides: ApacheBench
        # and h2load against python3 -m http.server, sysbench's cpu test,
        # and wrk against a server that resets every connection (wrk exits 0)
        for cmd, fmt in [("ab -n 300 -c 4 http://{host}:{port}/", "ab"),
                         ("h2load --h1 -n 300 -c 4 http://{host}:{port}/", "h2load"),
                         ("sysbench cpu --threads=1 --time=1 run", "sysbench")]:
            o = tempfile.mkdtemp(prefix="mnrt-ab-test-")
            rc, text = ab(mnrt, ["--load", cmd, "--"] + http_server(), o, quick=LOAD_QUICK)
            need(rc == 0, "%s: exit status %d" % (cmd, rc))
            d = json.load(open(os.path.join(o, "report.json")))
            for side in ("native", "mnrt"):
                run = d["steps"][0][side]["rounds"][0]
                need(d["load"][side][0]["format"] == fmt and run["requests_per_s"] > 0
                     and run["requests"] > 0 and run["latency_ns"]["mean"] > 0,
                     "%s, %s: %s" % (cmd, side, run))
        rc, text = ab(mnrt, ["--only", "native", "--load",
                             "wrk -t1 -c4 -d{duration}s http://{host}:{port}/", "--"]
                      + SERVERS + ["resets"], out, quick=LOAD_QUICK)
        need(rc == 1 and "(wrk) exited with status 0 but reported 0 requests served" in text
             and "socket errors" in text, "wrk's socket errors did not fail the run")
    elif case == "load-fails":
        rc, text = ab(mnrt, ["--only", "native", "--load", "echo the load broke; exit 3", "--"]
                      + http_server(), out, quick=LOAD_QUICK)
        need(rc == 1, "exit status %d, not 1" % rc)
        need("load command exited with status 3" in text and "the load broke" in text,
             "the message lacks the status or the load's output")
        d = json.load(open(os.path.join(out, "report.json")))
        need(not d["ok"] and d["load"]["native"][0]["exit_status"] == 3, "report.json: %s" % d["load"])
    elif case == "load-hangs":
        # a load generator that never ends: ab kills it (its whole process
        # group) at --load-timeout, says so, fails the run, and does not
        # run that side's hung command again in the next round
        marker = "671.%d" % os.getpid()
        rc, text = ab(mnrt, ["--rounds", "2", "--load-timeout", "2", "--load",
                             "echo load started; sleep %s; echo never" % marker, "--"]
                      + http_server(), out, quick=LOAD_QUICK)
        need(rc == 1, "exit status %d, not 1" % rc)
        need(text.count("the load command did not finish within 2 s") == 2,
             "%d timeout messages, not one per side"
             % text.count("the load command did not finish within 2 s"))
        need("load started" in text and "\\nnever" not in text,
             "the message lacks the load's output")
        d = json.load(open(os.path.join(out, "report.json")))
        need(not d["ok"], "report.json says ok")
        for side in ("native", "mnrt"):
            lr = d["load"][side]
            need(lr[0]["timed_out"] and lr[0]["signal"] != 0, "%s: %s" % (side, lr[0]))
            need(len(lr) < 2 or not lr[1]["ran"], side + ": the hung command ran again")
        left = []
        for pid in os.listdir("/proc"):
            try:
                if marker.encode() in open("/proc/%s/cmdline" % pid, "rb").read():
                    left.append(pid)
            except OSError:
                pass
        need(not left, "the load's sleep is still running: %s" % left)
    elif case == "ready-fails":
        # never ready: fails once, within the timeout (3 rounds asked for);
        # the message quotes the last attempt that ended by itself (the
        # deadline cuts the one in progress, which had printed nothing)
        rc, text = ab(mnrt, ["--rounds", "3", "--start-timeout", "5", "--ready",
                             "sleep 0.3; echo not yet; false", "--load", "true", "--"] + http_server(),
                      quick=[])
        need(rc == 1, "exit status %d, not 1" % rc)
        need(text.count("--ready command did not succeed within 5 s") == 1 and "not yet" in text,
             "no single clear message about --ready")
    elif case == "load-refuses":
        rc, text = ab(mnrt, ["--load", "true", "-c", "10", "--", "true"], quick=[])
        need(rc == 2, "exit status %d, not 2" % rc)
        need("mnrt ab: -c is an option of ab's own load generator: it does not apply with --load"
             in text, "no refusal message")
    elif case == "placement":
        # --server-cpus and --load-cpus on one CPU (a 1-CPU machine has it
        # too): the report says so, and the server's Cpus_allowed_list as
        # ab read it from /proc shows it was honoured on both sides
        cpus = sorted(os.sched_getaffinity(0))
        one = str(cpus[0])
        rc, text = ab(mnrt, ["-c", "4", "--server-cpus", one, "--load-cpus", one, "--",
                             demo, "0"], out)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        need(d["config"]["server_cpus"] == [cpus[0]] and d["config"]["load_cpus"] == [cpus[0]],
             "report.json's placement: %s, %s" % (d["config"]["server_cpus"],
                                                 d["config"]["load_cpus"]))
        need(d["server_cpus_seen"] == {"native": [cpus[0]], "mnrt": [cpus[0]]},
             "the server was seen allowed %s" % d["server_cpus_seen"])
        placement = "placement: server and load share CPU " + one
        need(placement in text, "the table does not say " + placement)
        texts = svg_texts(ET.parse(os.path.join(out, "report.svg")).getroot())
        need(placement in texts, "report.svg does not say " + placement)
        # apart where there are two CPUs: the load command runs on
        # --load-cpus (what it printed), the server on --server-cpus
        first, last = cpus[0], cpus[-1]
        rc, text = ab(mnrt, ["--only", "native", "--server-cpus", str(first), "--load-cpus",
                             str(last), "--load", "grep Cpus_allowed_list /proc/self/status",
                             "--", demo, "0"], out, quick=LOAD_QUICK)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        need(allowed_list(d["load"]["native"][0]["output"]) == [last],
             "the load command ran on CPUs %s, not %d" % (d["load"]["native"][0]["output"], last))
        need(d["server_cpus_seen"]["native"] == [first],
             "the server was allowed %s, not %d" % (d["server_cpus_seen"]["native"], first))
    elif case == "placement-refused":
        # a malformed list, a CPU ab may not run on: a usage error
        bad = max(os.sched_getaffinity(0)) + 1
        for option, value in (("--server-cpus", ""), ("--server-cpus", "x"),
                              ("--load-cpus", "0-"), ("--load-cpus", "2-1"),
                              ("--server-cpus", "0,,1"), ("--server-cpus", "-1"),
                              ("--load-cpus", "99999"), ("--server-cpus", "0 "),
                              ("--load-cpus", str(bad)), ("--server-cpus", "0-%d" % bad)):
            rc, text = ab(mnrt, [option, value, "--", "true"], quick=[])
            need(rc == 2, "%s %r: exit status %d, not 2" % (option, value, rc))
            need(text.startswith("mnrt ab: %s " % option)
                 and ("is not a CPU list" in text or "may run only on" in text),
                 "%s %r: no clear usage error" % (option, value))
    elif case == "exits-at-start":
        rc, text = ab(mnrt, ["--only", "native", "--", "sh", "-c", "echo broken config >&2; exit 3"])
        need(rc != 0, "exit status 0")
        need("exited with status 3" in text and "broken config" in text,
             "the message lacks the exit status or the server's stderr")
    elif case == "killed-mid-run":
        # killed once the load is on it (100 connections = 100 threads), not
        # after a fixed time: a timed kill once came after the end of the run
        # on a CI machine; with this trigger the death always falls in the run
        rc, text = ab(mnrt, ["--only", "native", "-d", "3", "--", "sh", "-c",
                             "%s 0 & pid=$!; "
                             "while [ $(ls /proc/$pid/task | wc -l) -lt 50 ]; do sleep 0.05; done; "
                             "kill -9 $pid; wait $pid" % demo])
        need(rc != 0, "exit status 0")
        need("during" in text and "FAILED" in text, "no clear message about the death")
    elif case == "one-side-fails":
        rc, text = ab(mnrt, ["-c", "20", "--", "sh", "-c",
                             'case "$LD_PRELOAD" in *libmnrt*) exit 4;; esac; exec %s 0' % demo])
        need(rc != 0, "exit status 0")
        need("mnrt round 1" in text and "exited with status 4" in text, "no message for mnrt")
        rps = [l for l in text.splitlines() if "requests/s" in l]
        need(rps and "FAILED" in rps[0] and not rps[0].split()[1].startswith("FAILED"),
             "the native side's results are missing")
    elif case == "forking-server":
        rc, text = ab(mnrt, ["--only", "native", "-c", "10", "--", "sh", "-c",
                             "%s 0; true" % demo])
        need(rc == 0, "exit status %d: the port of the forked server was not found" % rc)
    elif case == "svg":
        # report.svg drawn as the table reads: the full command (with <, &
        # and > in it) and the machine in the header; the latency, threads,
        # RSS + kernel stacks and RSS series of both sides; each step's start
        # labelled; the pause while idle connections open (20 of 60 never
        # answered: ab waits 5 s) left as a gap; then rendered by
        # rsvg-convert, with both sides' colours on the picture
        cmd = ["sh", "-c", "exec %s %s limited 40 40 # <&>" % tuple(SERVERS)]
        rc, text = ab(mnrt, ["-c", "2,4", "-d", "0.5", "--warmup", "0", "--idle", "60", "--"]
                      + cmd, out)
        svg_path = os.path.join(out, "report.svg")
        svg = ET.parse(svg_path).getroot()
        texts = svg_texts(svg)
        # (in two lines when long: cut at a space)
        title = [" ".join(e.itertext()) for e in svg.iter() if e.get("id") == "command"]
        need(title == ["mnrt ab: " + " ".join(cmd)], "the title is %r" % title)
        need(any(t.startswith("machine: ") and "CPUs, Linux" in t for t in texts),
             "no machine line")
        need(any(t.startswith("load: echo") for t in texts), "no load line")
        marks = [" ".join(e.itertext()) for e in svg.iter() if e.get("class") == "mark"]
        for label in ("2 conns", "4 conns", "60 idle"):
            need(marks.count(label) == 2, "the mark %r is labelled %d times, not once a panel"
                 % (label, marks.count(label)))
        paths = {e.get("id"): e.get("d") for e in svg.iter() if e.tag.endswith("}path")}
        d = json.load(open(os.path.join(out, "report.json")))
        for side in ("native", "mnrt"):
            for what in ("latency", "threads", "mem", "rss"):
                name = "%s-%s" % (side, what)
                need(name in paths and sum(len(g) for g in path_points(paths[name])) > 1,
                     "the SVG lacks the series " + name)
            gaps = sum(1 for p in d["series"][side] if p[3])
            need(gaps >= 1, side + ": no pause in the sampling, though ab waited 5 s for "
                 "idle connections")
            for what in ("threads", "mem", "rss"):
                segs = path_points(paths["%s-%s" % (side, what)])
                need(len(segs) == gaps + 1, "%s-%s: %d segments for %d gaps"
                     % (side, what, len(segs), gaps))
            # RSS + kernel stacks is never below RSS (smaller y is higher)
            mem = [p for g in path_points(paths[side + "-mem"]) for p in g]
            rss = [p for g in path_points(paths[side + "-rss"]) for p in g]
            need(len(mem) == len(rss) and all(m[1] <= r[1] + 0.05 for m, r in zip(mem, rss)),
                 side + ": RSS + kernel stacks drawn below RSS")
        rsvg = shutil.which("rsvg-convert")
        need(rsvg, "rsvg-convert is missing (tools/setup-debian.sh installs librsvg2-bin)")
        png = os.path.join(out, "report.png")
        p = subprocess.run([rsvg, "-o", png, svg_path], stderr=subprocess.PIPE, timeout=60)
        need(p.returncode == 0, "rsvg-convert: " + p.stderr.decode(errors="replace"))
        w, h, bpp, rows = png_pixels(png)
        need((w, h) == (int(svg.get("width")), int(svg.get("height"))),
             "the PNG is %dx%d, the SVG %sx%s" % (w, h, svg.get("width"), svg.get("height")))
        for side, rgb in (("native", (0x1f, 0x77, 0xb4)), ("mnrt", (0xe8, 0x71, 0x0a))):
            n = count_colour(rows, bpp, rgb)
            need(n > 500, "%d pixels of %s's colour in the PNG" % (n, side))
        # no data: the latency panel says so rather than stay blank
        rc, text = ab(mnrt, ["--only", "native", "--load", "echo no figures here", "--"]
                      + SERVERS + ["banner"], out, quick=["-d", "0.1", "--rounds", "1"])
        texts = svg_texts(ET.parse(svg_path).getroot())
        need(any("No latency percentiles: the load command printed none" in t for t in texts),
             "no note in the empty latency panel")
    elif case == "report-files":
        rc, text = ab(mnrt, ["-c", "20", "--idle", "50", "--", demo, "0"], out)
        need(rc == 0, "exit status %d" % rc)
        d = json.load(open(os.path.join(out, "report.json")))
        has_fields(d, TOP, "report")
        has_fields(d["config"], CONFIG, "config")
        # without --server-cpus and --load-cpus: every CPU ab may use
        cpus = sorted(os.sched_getaffinity(0))
        need(d["config"]["server_cpus"] == d["config"]["load_cpus"] == cpus
             and d["server_cpus_seen"] == {"native": cpus, "mnrt": cpus},
             "the default placement: %s, %s, seen %s" % (d["config"]["server_cpus"],
                                                        d["config"]["load_cpus"],
                                                        d["server_cpus_seen"]))
        for step in d["steps"]:
            has_fields(step, STEP, "step")
            for side in ("native", "mnrt"):
                has_fields(step[side], SIDE, side)
                for run in step[side]["rounds"]:
                    has_fields(run, RUN, "run")
                    has_fields(run["latency_ns"], LATENCY, "latency")
                    has_fields(run["errors"], ERRORS, "errors")
        for side in ("native", "mnrt"):
            for idle in d["idle"][side]:
                has_fields(idle, IDLE, "idle")
            need(len(d["series"][side]) > 0, "no %s series" % side)
        svg = ET.parse(os.path.join(out, "report.svg")).getroot()
        paths = {e.get("id"): e.get("d") for e in svg.iter() if e.tag.endswith("}path")}
        for side in ("native", "mnrt"):
            for what in ("latency", "threads", "mem", "rss"):
                name = "%s-%s" % (side, what)
                need(name in paths, "the SVG lacks " + name)
                need(sum(len(g) for g in path_points(paths[name])) > 1, name + " has no points")
    else:
        print("unknown case " + case)
        sys.exit(2)
    print("PASS")


if __name__ == "__main__":
    main()
