#!/usr/bin/env python3
"""A load command for `mnrt ab --load` tests: HTTP GETs (one connection
each) against http://HOST:PORT/ for SECONDS, then a summary in wrk's
format ("Requests/sec:" and the --latency percentile lines), which
mnrt ab must parse. It checks what ab promises a load command: it runs
natively (no libmnrt in LD_PRELOAD) and MNRT_AB_HOST / MNRT_AB_PORT match
the {host} and {port} it was given; else it exits 5.

usage: wrkfmt.py HOST PORT SECONDS"""
import http.client
import os
import sys
import time


def main():
    host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    if "libmnrt" in os.environ.get("LD_PRELOAD", ""):
        print("the load command runs under mnrt: LD_PRELOAD=" + os.environ["LD_PRELOAD"])
        sys.exit(5)
    if (os.environ.get("MNRT_AB_HOST"), os.environ.get("MNRT_AB_PORT")) != (host, str(port)):
        print("MNRT_AB_HOST/PORT %s:%s, not %s:%d" % (os.environ.get("MNRT_AB_HOST"),
                                                     os.environ.get("MNRT_AB_PORT"), host, port))
        sys.exit(5)
    lat = []
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        t = time.monotonic()
        c = http.client.HTTPConnection(host, port, timeout=10)
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 200:
            print("status %d" % r.status)
            sys.exit(6)
        lat.append(time.monotonic() - t)
    took = time.monotonic() - t0
    lat.sort()
    print("Running %.0fs test @ http://%s:%d/" % (seconds, host, port))
    print("  Latency Distribution")
    for p in (50, 75, 90, 99):
        print("  %3d%%  %8.2fms" % (p, lat[min(len(lat) - 1, len(lat) * p // 100)] * 1e3))
    print("  %d requests in %.2fs" % (len(lat), took))
    print("Requests/sec: %10.2f" % (len(lat) / took))


if __name__ == "__main__":
    main()
