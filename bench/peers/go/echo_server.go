// echo_server.go: a Go net echo server, one goroutine per connection (the idiomatic Go server).
//
// Usage: echo-go PORT [BIND_ADDRESS]   (default 127.0.0.1)
package main

import (
	"fmt"
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
		go echo(conn)
	}
}

// echo writes back what it reads, through a buffer of its own. (io.Copy(c, c) would splice through a pipe per
// connection: three descriptors per connection, which runs out of descriptors long before 10,000 connections.)
// Go sets TCP_NODELAY on TCP connections by default.
func echo(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
