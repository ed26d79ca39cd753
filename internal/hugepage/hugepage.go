// Package hugepage asks the kernel to back large, freshly allocated
// arrays with transparent huge pages.
//
// A cold list load fills ~60 MB of new memory (Set arenas and records,
// the compiled table) and each 4 KiB page's first touch is a page fault:
// on a virtual machine a fault costs ~10 µs (64 MiB touched page by page:
// ~200 ms of CPU; the same with 2 MiB pages: ~4 ms). With the kernel's
// THP mode "madvise" (the common default) only ranges marked with
// MADV_HUGEPAGE get huge pages; the Go runtime marks none of its heap.
// Advise marks the whole 2 MiB pages inside one allocation before it is
// first written; the hint changes no data and fails silently.
package hugepage

import "unsafe"

// Size is the huge page size the hint is for (x86-64 and most arm64).
const Size = 2 << 20

// MinBytes is the smallest allocation worth a hint: one that holds at
// least one whole huge page wherever it starts.
const MinBytes = 2 * Size

// Advise hints that the 2 MiB pages entirely inside s's backing array
// (its capacity) be huge pages. Call it right after allocating s, before
// writing to it: pages touched before are not changed. Arrays smaller
// than MinBytes are left alone.
func Advise[T any](s []T) {
	n := uintptr(cap(s)) * unsafe.Sizeof(*new(T))
	if n < MinBytes {
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	beg := (start + Size - 1) &^ (Size - 1)
	end := (start + n) &^ (Size - 1)
	if beg < end {
		advise(beg, end-beg)
	}
}
