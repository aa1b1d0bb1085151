//go:build ignore

// syscall_handoff.go - Go's figure for ../syscall_handoff.c: 1-byte reads of
// /dev/zero through os.File (Go wraps each in entersyscall/exitsyscall, as
// mnrt does). Every read must return one zero byte.
// Result: ns_per_op = wall time / ITERATIONS.
// Usage: syscall_handoff [ITERATIONS]

package main

import (
	"os"
	"time"
)

func main() {
	n := argInt(1, 2000000)
	f, err := os.Open("/dev/zero")
	if err != nil {
		fail("open /dev/zero: %v", err)
	}
	buf := make([]byte, 1)
	ok := 0
	t0 := time.Now()
	for i := 0; i < n; i++ {
		buf[0] = 1
		if k, err := f.Read(buf); err == nil && k == 1 && buf[0] == 0 {
			ok++
		}
	}
	ns := time.Since(t0).Nanoseconds()
	if ok != n {
		fail("read: %d of %d calls returned a zero byte", ok, n)
	}
	result("syscall_handoff", "ns_per_op=%.1f ops=%d wall_ns=%d", float64(ns)/float64(n), n, ns)
}
