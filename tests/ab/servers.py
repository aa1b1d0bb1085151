#!/usr/bin/env python3
"""Small servers with the habits of real ones that `mnrt ab` must report
honestly (check_ab.py runs them, natively and under mnrt):

  banner           speaks first, like MariaDB: a greeting on accept, then
                   an error and a close for whatever the client sends
  resets           accepts, reads a little and closes with a reset (SO_LINGER
                   0): every request fails, as on a server that crashed
  chunked          HTTP/1.1 keep-alive, every body sent with Transfer-Encoding:
                   chunked as servers that stream do: chunks of several sizes,
                   a chunk extension, a trailer on every other response, and
                   every fifth body 100 KB (larger than ab's read buffer)
  chatty           a thread-per-connection echo server that logs a 200-byte
                   line to stderr for each connection and each request, as
                   access logs and MariaDB's "Aborted connection" warnings do
  fading           20 threads that switch often (1 ms sleeps) from before it
                   listens until 1.5 s after, then end; an echo server in one
                   thread meanwhile: threads that end within ab's window
  keepalive-drop   HTTP/1.1 keep-alive that answers two requests on a
                   connection and closes it on the third without an answer,
                   as a server closing an idle keep-alive connection races
                   with a request already on its way
  limited N M      an echo server that holds at most N connections at once
                   natively and M under mnrt and leaves the rest unanswered
                   in its listen backlog (as a full server or an fd limit
                   does): fewer connections open than asked, unequal sides

Each listens on 127.0.0.1 (port 0: any free port, found by mnrt ab)."""
import os
import selectors
import socket
import struct
import sys
import threading

# The start of MariaDB 10.11's greeting packet (length 3 bytes, sequence 0,
# protocol 10, server version), as a client sees it.
GREETING = b"\x5b\x00\x00\x00\x0a5.5.5-10.11.6-MariaDB-0+deb12u1\x00"
ERROR = b"\x15\x00\x00\x02\xff\x13\x04Bad handshake"


def listener(port, backlog):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    return s


def banner():
    s = listener(0, 128)

    def serve(c):
        with c:
            c.sendall(GREETING)
            if c.recv(4096):
                c.sendall(ERROR)

    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def resets():
    s = listener(0, 128)
    while True:
        c, _ = s.accept()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.recv(16)
        c.close()


def chunked():
    s = listener(0, 128)

    def serve(c):
        f = c.makefile("rb")
        n = 0
        with c:
            while True:
                line = f.readline()
                if not line:
                    return
                while f.readline() not in (b"\r\n", b"\n", b""):
                    pass
                n += 1
                body = b"x" * (100000 if n % 5 == 0 else 10 + n % 7)
                out = [b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n"]
                for i in range(0, len(body), 7000):
                    piece = body[i:i + 7000]
                    ext = b";part=%d" % i if i == 0 else b""
                    out.append(b"%x%s\r\n%s\r\n" % (len(piece), ext, piece))
                out.append(b"0\r\nX-Checksum: %d\r\n\r\n" % len(body) if n % 2 else b"0\r\n\r\n")
                c.sendall(b"".join(out))

    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def chatty():
    s = listener(0, 1024)
    line = "%s connection %%d: %%s\n" % ("x" * 160)

    def serve(c, n):
        sys.stderr.write(line % (n, "accepted"))
        sys.stderr.flush()
        with c:
            while True:
                data = c.recv(65536)
                if not data:
                    return
                c.sendall(data)
                sys.stderr.write(line % (n, "echoed"))
                sys.stderr.flush()

    n = 0
    while True:
        c, _ = s.accept()
        n += 1
        threading.Thread(target=serve, args=(c, n), daemon=True).start()


def fading():
    import time
    stop = time.monotonic() + 2.0

    def busy():
        while time.monotonic() < stop:
            time.sleep(0.001)

    for _ in range(20):
        threading.Thread(target=busy, daemon=True).start()
    time.sleep(0.5)
    s = listener(0, 128)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is s:
                c, _ = s.accept()
                sel.register(c, selectors.EVENT_READ)
                continue
            data = key.fileobj.recv(65536)
            if data:
                key.fileobj.sendall(data)
            else:
                sel.unregister(key.fileobj)
                key.fileobj.close()


def keepalive_drop():
    s = listener(0, 128)

    def serve(c):
        f = c.makefile("rb")
        with c:
            for n in range(3):
                if not f.readline():
                    return
                while f.readline() not in (b"\r\n", b"\n", b""):
                    pass
                if n == 2:
                    return
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")

    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def limited(native_max, mnrt_max):
    limit = mnrt_max if "libmnrt" in os.environ.get("LD_PRELOAD", "") else native_max
    s = listener(0, 128)
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    held = 0
    while True:
        for key, _ in sel.select():
            if key.fileobj is s:
                if held < limit:
                    c, _ = s.accept()
                    c.setblocking(True)
                    sel.register(c, selectors.EVENT_READ)
                    held += 1
                    if held == limit:
                        sel.unregister(s)
                continue
            try:
                data = key.fileobj.recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                key.fileobj.sendall(data)
                continue
            sel.unregister(key.fileobj)
            key.fileobj.close()
            if held == limit:
                sel.register(s, selectors.EVENT_READ)
            held -= 1


def main():
    if sys.argv[1] == "banner":
        banner()
    elif sys.argv[1] == "keepalive-drop":
        keepalive_drop()
    elif sys.argv[1] == "fading":
        fading()
    elif sys.argv[1] == "chatty":
        chatty()
    elif sys.argv[1] == "chunked":
        chunked()
    elif sys.argv[1] == "resets":
        resets()
    elif sys.argv[1] == "limited":
        limited(int(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("unknown server " + sys.argv[1])


if __name__ == "__main__":
    main()
