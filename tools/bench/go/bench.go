//go:build ignore

// bench.go - helpers shared by the Go equivalents of tools/bench: numeric
// arguments, failure exits and the result line, the same contract as
// ../bench.h (one line "name=NAME key=value ..." on stdout after the program
// has verified its result; "bench: ..." on stderr and exit status 1 on any
// failure). run-bench builds each program as `go build bench.go NAME.go`;
// the build tag keeps a plain `go build .` from seeing several mains.

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

// argInt returns positional argument i (1-based) as a positive integer, or
// dflt if absent.
func argInt(i int, dflt int) int {
	if i >= len(os.Args) {
		return dflt
	}
	v, err := strconv.Atoi(os.Args[i])
	if err != nil || v <= 0 {
		fail("argument %d: '%s' is not a positive integer", i, os.Args[i])
	}
	return v
}

func result(name string, format string, args ...any) {
	if _, err := fmt.Printf("name="+name+" "+format+"\n", args...); err != nil {
		fail("writing the result: %v", err)
	}
}

// statusField returns the number after "FIELD:" in /proc/self/status, or -1.
func statusField(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	prefix := []byte(field + ":")
	for _, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, prefix) {
			f := bytes.Fields(line[len(prefix):])
			if len(f) == 0 {
				return -1
			}
			v, err := strconv.ParseInt(string(f[0]), 10, 64)
			if err != nil {
				return -1
			}
			return v
		}
	}
	return -1
}
