#!/usr/bin/env python3
"""Python's http.server.ThreadingHTTPServer (a thread per connection, with
blocking socket I/O inside CPython) serving 1,000 concurrent keep-alive
clients. The server runs with the caller's environment (under the preload
when the test runner asks for it); the clients are asyncio coroutines in
this process. Every reply must be 200 with the right body, and under mnrt
the server's kernel thread count (from /proc, sampled during the load)
must stay at most procs + 8.

usage: python_http.py [CLIENTS] [REQUESTS]"""
import asyncio
import os
import subprocess
import sys

SERVER = r'''
import ctypes, http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1
    disable_nagle_algorithm = True
    def do_GET(self):
        body = ("hello " + self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(http.server.ThreadingHTTPServer):
    request_queue_size = 2048
s = S(("127.0.0.1", 0), H)
procs = 0
try:
    class Stats(ctypes.Structure):
        _fields_ = [("size", ctypes.c_size_t), ("procs", ctypes.c_int32)]
    st = Stats(ctypes.sizeof(Stats), 0)
    if ctypes.CDLL(None).mnrt_get_stats(ctypes.byref(st)) == 0:
        procs = st.procs
except (AttributeError, OSError):
    pass
print(s.server_address[1], procs, flush=True)
s.serve_forever()
'''


async def client(port, cid, requests, results, all_in):
    for attempt in range(100):
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port)
            break
        except OSError:
            await asyncio.sleep(0.05)
    else:
        results.append("client %d: cannot connect" % cid)
        all_in.connected += 1
        return
    all_in.connected += 1
    if all_in.connected == all_in.total:
        all_in.set()
    await all_in.wait()  # every connection is open before the first request
    for i in range(requests):
        path = "/%d/%d" % (cid, i)
        w.write(("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path).encode())
        await w.drain()
        head = await r.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = await r.readexactly(length)
        if status != b"200" or body != ("hello " + path).encode():
            results.append("client %d request %d: %r %r" % (cid, i, status, body))
    w.close()
    results.append(None)


def threads_of(pid):
    try:
        return len(os.listdir("/proc/%d/task" % pid))
    except OSError:
        return 0


async def main(clients, requests):
    srv = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE)
    try:
        port, procs = map(int, srv.stdout.readline().split())
        results, peak = [], 0
        all_in = asyncio.Event()
        all_in.connected, all_in.total = 0, clients
        tasks = [asyncio.ensure_future(client(port, c, requests, results, all_in))
                 for c in range(clients)]
        while not all(t.done() for t in tasks):
            peak = max(peak, threads_of(srv.pid))
            await asyncio.sleep(0.02)
        errors = [x for x in results if x]
        print("server kernel threads at most %d (procs %d)" % (peak, procs), file=sys.stderr)
        for e in errors[:5]:
            print(e, file=sys.stderr)
        if errors:
            return 1
        if procs and peak > procs + 8:
            print("FAIL: %d kernel threads (limit %d)" % (peak, procs + 8), file=sys.stderr)
            return 1
        print("http: %d keep-alive clients x %d requests, all 200 with the right body"
              % (clients, requests))
        return 0
    finally:
        srv.kill()
        srv.wait()


if __name__ == "__main__":
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    k = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sys.exit(asyncio.run(main(n, k)))
