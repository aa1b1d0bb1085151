//go:build ignore

// echo_server.go - Go's counterpart of the demo server's echo side
// (tools/demo/demo_server.c), for tools/bench/echo-bench: one goroutine per
// connection, blocking Read and Write, every byte read written back. Go's
// runtime does for it what mnrt does for the C server: goroutines parked in
// the netpoller on about GOMAXPROCS threads.
// Usage: echo_server [PORT]   (0, the default, picks a free port, printed on
// stdout as "listening on PORT")

package main

import (
	"fmt"
	"net"
	"os"
)

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 16384)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

func main() {
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo_server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %d\n", ln.Addr().(*net.TCPAddr).Port)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		go serve(c)
	}
}
