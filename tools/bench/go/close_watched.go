//go:build ignore

// close_watched.go - Go's figure for ../close_watched.c: a socketpair whose
// one end a goroutine reads (waiting in the netpoller) until another
// goroutine writes a byte to the other; then the reader closes its end
// (timed) and the other. ROUNDS times (default 20,000).
// Result: ns_per_op = mean time of the timed Close calls;
// round_ns = mean time of a whole round.
// Usage: close_watched [ROUNDS]

package main

import (
	"net"
	"os"
	"syscall"
	"time"
)

func conn(fd int) net.Conn {
	f := os.NewFile(uintptr(fd), "socket")
	c, err := net.FileConn(f)
	if err != nil {
		fail("FileConn: %v", err)
	}
	f.Close() // FileConn made its own duplicate
	return c
}

func main() {
	rounds := argInt(1, 20000)
	peers := make(chan net.Conn)
	go func() {
		for c := range peers {
			if _, err := c.Write([]byte{'x'}); err != nil {
				fail("write: %v", err)
			}
		}
	}()
	var closeNs time.Duration
	t0 := time.Now()
	buf := make([]byte, 1)
	for i := 0; i < rounds; i++ {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			fail("socketpair: %v", err)
		}
		a, b := conn(fds[0]), conn(fds[1])
		peers <- b
		if n, err := a.Read(buf); n != 1 || err != nil || buf[0] != 'x' {
			fail("read: %v", err)
		}
		c0 := time.Now()
		if err := a.Close(); err != nil {
			fail("close: %v", err)
		}
		closeNs += time.Since(c0)
		b.Close()
	}
	ns := time.Since(t0)
	close(peers)
	result("close_watched", "ns_per_op=%.1f round_ns=%.1f ops=%d",
		float64(closeNs.Nanoseconds())/float64(rounds),
		float64(ns.Nanoseconds())/float64(rounds), rounds)
}
