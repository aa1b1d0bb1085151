//go:build ignore

// single_thread.go - Go's figure for ../single_thread.c: COUNT (default
// 20,000,000) allocations of 32-88 bytes with 16 live at a time (the
// garbage collector frees the rest), then COUNT single bytes through a
// bufio.Writer on /dev/null (Go's buffered stream; a Go program is never
// "single-threaded" in glibc's sense, and takes no lock here either).
// Result: malloc_free_ns (one allocation) and putc_ns (one byte).
// Usage: single_thread [COUNT]

package main

import (
	"bufio"
	"os"
	"time"
)

var live [16][]byte

func main() {
	count := argInt(1, 20000000)
	t0 := time.Now()
	for i := 0; i < count; i++ {
		b := make([]byte, 32+(i&7)*8)
		b[0] = 1
		live[i%16] = b
	}
	allocNs := time.Since(t0).Nanoseconds()

	f, err := os.OpenFile("/dev/null", os.O_WRONLY, 0)
	if err != nil {
		fail("open /dev/null: %v", err)
	}
	w := bufio.NewWriter(f)
	t1 := time.Now()
	for i := 0; i < count; i++ {
		if err := w.WriteByte(byte('a' + i%26)); err != nil {
			fail("write: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		fail("flush: %v", err)
	}
	putNs := time.Since(t1).Nanoseconds()
	f.Close()
	result("single_thread", "malloc_free_ns=%.2f putc_ns=%.2f single_threaded=0 count=%d",
		float64(allocNs)/float64(count), float64(putNs)/float64(count), count)
}
