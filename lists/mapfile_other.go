//go:build !unix

package lists

import (
	"io"
	"os"
)

// mapFile reads f whole where there is no mmap; the garbage collector
// frees the copy.
func mapFile(f *os.File, size int64) ([]byte, func([]byte), error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), data); err != nil {
		return nil, nil, err
	}
	return data, nil, nil
}
