//go:build unix

package listen

import (
	"syscall"

	"golang.org/x/sys/unix"
)

func v6Only(c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1)
	}); err != nil {
		return err
	}
	return serr
}
