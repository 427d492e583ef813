// echo_server.go: a Go net echo server, one goroutine per connection (the idiomatic Go server).
//
// Usage: echo-go PORT [BIND_ADDRESS]   (default 127.0.0.1)
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: echo-go PORT [BIND_ADDRESS]")
		os.Exit(2)
	}
	host := "127.0.0.1"
	if len(os.Args) > 2 {
		host = os.Args[2]
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(host, os.Args[1]))
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo-go:", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, "echo-go: listening on", listener.Addr())
	for {
		conn, err := listener.Accept()
		if err != nil {
			// Out of descriptors and the like: keep serving the connections there are.
			continue
		}
		go func(c net.Conn) {
			defer c.Close()
			// Go sets TCP_NODELAY on TCP connections by default; io.Copy echoes with one 32 KiB buffer.
			io.Copy(c, c)
		}(conn)
	}
}
