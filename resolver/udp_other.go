//go:build !linux

package resolver

import (
	"net"
	"syscall"
)

const reusePortSupported = false

func reusePort(network, address string, c syscall.RawConn) error { return nil }

func spreadEvenly(c *net.UDPConn, n int) error { return nil }

// serve is the portable read loop (no batched system calls).
func (l *udpLoop) serve() { l.servePlain() }

func limitReadBuffer(l net.Listener, n int) error { return nil }
