//go:build ignore

// pipe_pingpong.go - Go's figure for ../pipe_pingpong.c: one byte bounced
// between two goroutines over two os.Pipe pipes (Go waits for them in its
// netpoller). The client sends byte i (mod 256) ROUNDS times (default 30,000)
// and every byte must come back unchanged.
// Result: ns_per_op = wall time / ROUNDS (one round trip).
// Usage: pipe_pingpong [ROUNDS]

package main

import (
	"io"
	"os"
	"time"
)

func main() {
	rounds := argInt(1, 30000)
	ar, aw, err := os.Pipe()
	if err != nil {
		fail("pipe: %v", err)
	}
	br, bw, err := os.Pipe()
	if err != nil {
		fail("pipe: %v", err)
	}
	done := make(chan struct{})

	t0 := time.Now()
	go func() {
		buf := make([]byte, 1)
		for i := 0; i < rounds; i++ {
			if _, err := io.ReadFull(ar, buf); err != nil {
				fail("read: %v", err)
			}
			if _, err := bw.Write(buf); err != nil {
				fail("write: %v", err)
			}
		}
		close(done)
	}()
	buf := make([]byte, 1)
	for i := 0; i < rounds; i++ {
		c := byte(i)
		if _, err := aw.Write([]byte{c}); err != nil {
			fail("write: %v", err)
		}
		if _, err := io.ReadFull(br, buf); err != nil {
			fail("read: %v", err)
		}
		if buf[0] != c {
			fail("pipe_pingpong: round %d sent %d, got %d back", i, c, buf[0])
		}
	}
	<-done
	ns := time.Since(t0).Nanoseconds()
	result("pipe_pingpong", "ns_per_op=%.1f ops=%d wall_ns=%d",
		float64(ns)/float64(rounds), rounds, ns)
}
