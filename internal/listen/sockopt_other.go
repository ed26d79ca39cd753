//go:build !unix

package listen

import "syscall"

// v6Only does nothing here: Go's "tcp6"/"udp6" sockets are IPv6-only already.
func v6Only(syscall.RawConn) error { return nil }
