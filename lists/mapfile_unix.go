//go:build unix

package lists

import (
	"os"
	"syscall"
)

// mapFile maps f's size bytes read-only and shared: pages come from the
// page cache as they are read and count in the process only while they
// are resident; release unmaps them.
func mapFile(f *os.File, size int64) ([]byte, func([]byte), error) {
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func(d []byte) { _ = syscall.Munmap(d) }, nil
}
