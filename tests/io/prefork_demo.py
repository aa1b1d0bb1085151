#!/usr/bin/env python3
"""The prefork demo server (tools/demo/prefork_demo.c: a master that forks
worker processes, each running a thread per connection) under load on
loopback. The server runs with the caller's environment (under the preload
when the test runner asks for it); the clients are asyncio coroutines in
this process. Checked, with the same output natively and under mnrt:

  - WORKERS workers come up;
  - CLIENTS connections at once, a third each of HTTP keep-alive (GET, HEAD,
    two pipelined GETs), echo (1, 100 and 20,000 bytes) and HTTP with
    "Connection: close": every reply byte for byte;
  - a worker killed with SIGKILL is replaced, and the server still serves;
  - SIGTERM to the master: it exits with status 0 and its workers are gone.

While the keep-alive and echo connections are all open, the kernel threads
of each worker are counted (stderr). Natively each held connection is a
thread, so they must add up to at least the connections held. With
--child-bound, under mnrt each worker must have at most procs + 8 (issue
10: the child of fork on the M:N scheduler).

usage: prefork_demo.py PREFORK_DEMO [--child-bound] [WORKERS] [CLIENTS]"""
import asyncio
import ctypes
import os
import signal
import subprocess
import sys

TIMEOUT = 60  # s: only to end a hung run; nothing here is timed


def mnrt_procs():
    """procs when this process runs under mnrt (the server gets the same
    environment, so the same number), else 0."""
    class Stats(ctypes.Structure):
        _fields_ = [("size", ctypes.c_size_t), ("procs", ctypes.c_int32)]
    try:
        st = Stats(ctypes.sizeof(Stats), 0)
        if ctypes.CDLL(None).mnrt_get_stats(ctypes.byref(st)) == 0:
            return st.procs
    except (AttributeError, OSError):
        pass
    return 0


def children(pid):
    """The pids whose parent is pid."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                out.append(int(name))
    return sorted(out)


def threads_of(pid):
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return 0


async def wait_for_workers(master, n, old=()):
    """The n workers of master, once there are n and none is in old."""
    while True:
        w = children(master)
        if len(w) == n and not set(w) & set(old):
            return w
        await asyncio.sleep(0.02)


async def read_http(r, head_only=False):
    """One response: (status line, headers dict, body)."""
    head = (await r.readuntil(b"\r\n\r\n")).decode()
    lines = head.split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    body = b"" if head_only else await r.readexactly(length)
    return lines[0], headers, body


def expect_body(path):
    return ("hello from prefork_demo, path %s\n" % path).encode()


class Gate:
    """Every client waits here until all have arrived."""

    def __init__(self, n):
        self.n, self.arrived, self.open = n, 0, asyncio.Event()

    def arrive(self):
        self.arrived += 1
        if self.arrived == self.n:
            self.open.set()

    async def pass_(self):
        self.arrive()
        await self.open.wait()


async def client(port, cid, gates, errors):
    """Connects, waits for all to connect, makes its first exchange, waits
    for all to have made theirs (held: the threads are counted), then the
    rest. Kind by cid: 0 keep-alive HTTP, 1 echo, 2 HTTP Connection: close."""
    connected, answered = gates
    kind = cid % 3
    passed = []

    async def at(gate):
        passed.append(gate)
        await gate.pass_()
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
    except OSError as e:
        errors.append("client %d: cannot connect: %s" % (cid, e))
        connected.arrive()
        answered.arrive()
        return
    try:
        await at(connected)
        if kind == 0:
            path = "/k/%d/0" % cid
            w.write(("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode())
            status, h, body = await read_http(r)
            if status != "HTTP/1.1 200 OK" or body != expect_body(path):
                errors.append("client %d GET: %r %r" % (cid, status, body))
            await at(answered)
            path = "/k/%d/1" % cid
            w.write(("HEAD %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode())
            status, h, body = await read_http(r, head_only=True)
            if status != "HTTP/1.1 200 OK" or int(h["content-length"]) != len(expect_body(path)):
                errors.append("client %d HEAD: %r %r" % (cid, status, h))
            paths = ["/k/%d/2" % cid, "/k/%d/3" % cid]  # pipelined: one write
            w.write("".join("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % p for p in paths).encode())
            for p in paths:
                status, h, body = await read_http(r)
                if status != "HTTP/1.1 200 OK" or body != expect_body(p):
                    errors.append("client %d pipelined GET: %r %r" % (cid, status, body))
        elif kind == 1:
            first = True
            for size in (1, 100, 20000):
                msg = bytes((cid + i) % 251 for i in range(size))
                w.write(msg)
                got = await r.readexactly(size)
                if got != msg:
                    errors.append("client %d echo of %d bytes: wrong bytes back" % (cid, size))
                if first:
                    await at(answered)
                    first = False
        else:
            path = "/c/%d" % cid
            w.write(("GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path).encode())
            status, h, body = await read_http(r)
            rest = await r.read()
            if (status != "HTTP/1.1 200 OK" or body != expect_body(path)
                    or h.get("connection") != "close" or rest):
                errors.append("client %d GET, Connection: close: %r %r %r %r"
                              % (cid, status, h, body, rest))
            await at(answered)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
        errors.append("client %d: %r" % (cid, e))
        for g in gates:  # not to hold the others at a gate it never reaches
            if g not in passed:
                g.arrive()
    finally:
        w.close()


async def load(port, clients, master, workers, peaks):
    """clients connections at once; peaks[worker]: its most threads while
    the connections were held. Returns the errors."""
    errors = []
    gates = (Gate(clients), Gate(clients))
    tasks = [asyncio.ensure_future(client(port, c, gates, errors)) for c in range(clients)]
    await gates[1].open.wait()
    for _ in range(5):  # all held: the threads of the connections exist
        for pid in workers:
            peaks[pid] = max(peaks.get(pid, 0), threads_of(pid))
        await asyncio.sleep(0.02)
    await asyncio.gather(*tasks)
    return errors


async def run(server, nworkers, clients, child_bound):
    procs = mnrt_procs()
    srv = subprocess.Popen([server, "-w", str(nworkers), "0"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, start_new_session=True)
    try:
        line = srv.stdout.readline().decode()
        if not line.startswith("listening on "):
            print("FAIL: the server printed %r, not 'listening on PORT'" % line, file=sys.stderr)
            return 1
        port = int(line.split()[2])
        print("prefork_demo -w %d: listening" % nworkers)
        workers = await wait_for_workers(srv.pid, nworkers)
        print("%d workers" % len(workers))

        peaks = {}
        errors = await load(port, clients, srv.pid, workers, peaks)
        held = clients - clients // 3  # keep-alive and echo connections
        print("kernel threads per worker while %d connections were held: %s (procs %d)"
              % (held, [peaks[p] for p in workers], procs), file=sys.stderr)
        for e in errors[:10]:
            print(e, file=sys.stderr)
        if errors:
            print("FAIL: %d wrong or missing replies" % len(errors), file=sys.stderr)
            return 1
        print("%d connections at once (keep-alive HTTP, echo, HTTP Connection: close): "
              "every reply right" % clients)
        if not procs and sum(peaks.values()) - len(workers) < held:
            print("FAIL: natively %d connections held, only %d worker threads"
                  % (held, sum(peaks.values()) - len(workers)), file=sys.stderr)
            return 1
        if child_bound and procs and max(peaks.values()) > procs + 8:
            print("FAIL: a worker had %d kernel threads (limit procs + 8 = %d)"
                  % (max(peaks.values()), procs + 8), file=sys.stderr)
            return 1

        os.kill(workers[0], signal.SIGKILL)
        workers = await wait_for_workers(srv.pid, nworkers, old=[workers[0]])
        errors = await load(port, 30, srv.pid, workers, {})
        for e in errors[:10]:
            print(e, file=sys.stderr)
        if errors:
            print("FAIL: after a worker was replaced: %d wrong replies" % len(errors),
                  file=sys.stderr)
            return 1
        print("a worker killed with SIGKILL was replaced; 30 more connections served")

        srv.send_signal(signal.SIGTERM)
        try:
            status = srv.wait(timeout=20)
        except subprocess.TimeoutExpired:
            print("FAIL: the master did not exit within 20 s of SIGTERM", file=sys.stderr)
            return 1
        left = [p for p in workers if os.path.exists("/proc/%d" % p)]
        if left:  # they hold the stderr pipe open
            os.killpg(srv.pid, signal.SIGKILL)
        err = srv.stderr.read().decode(errors="replace")
        sys.stderr.write(err)
        if status != 0 or left:
            print("FAIL: after SIGTERM the master ended with %d, workers left: %s"
                  % (status, left), file=sys.stderr)
            return 1
        if "was killed by signal 9" not in err:
            print("FAIL: the master did not report the killed worker", file=sys.stderr)
            return 1
        print("SIGTERM: the master exited with status 0, its workers reaped")
        return 0
    finally:
        try:
            os.killpg(srv.pid, signal.SIGKILL)
        except OSError:
            pass
        srv.wait()


def main():
    args = sys.argv[1:]
    child_bound = "--child-bound" in args
    args = [a for a in args if a != "--child-bound"]
    server = args[0]
    nworkers = int(args[1]) if len(args) > 1 else 3
    clients = int(args[2]) if len(args) > 2 else 150
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return asyncio.run(asyncio.wait_for(run(server, nworkers, clients, child_bound), TIMEOUT))


if __name__ == "__main__":
    sys.exit(main())
