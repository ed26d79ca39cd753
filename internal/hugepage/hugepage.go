// Package hugepage allocates large arrays that are about to be written
// in whole transparent huge pages.
//
// A cold list load fills ~60 MB of new memory (Set arenas and records,
// the compiled table) and each 4 KiB page's first touch is a page fault:
// on a virtual machine a fault costs ~10 µs (64 MiB touched page by page:
// ~200 ms of CPU; the same with 2 MiB pages: ~4 ms). With the kernel's
// THP mode "madvise" (the common default) only ranges marked with
// MADV_HUGEPAGE get huge pages; the Go runtime marks none of its heap.
// Make places an array on a huge page boundary and marks its whole huge
// pages before it is first written; the hint changes no data and fails
// silently.
package hugepage

import "unsafe"

// Size is the huge page size the hint is for (x86-64 and most arm64).
const Size = 2 << 20

// MinBytes is the smallest array Make aligns and advises: below it the
// extra address space is not worth the one or two huge pages.
const MinBytes = 2 * Size

// Make returns n zeroed T's for a large array that is about to be
// written: the array starts on a huge page boundary (or within one
// element of it) and its whole huge pages are advised, so that only its
// tail, if its length is not a multiple of Size, is faulted in 4 KiB
// pages. It allocates up to Size bytes more than asked, which are never
// touched (address space, not memory, though the garbage collector counts
// them as heap). Arrays under MinBytes are a plain make.
func Make[T any](n int) []T {
	size := unsafe.Sizeof(*new(T))
	if size == 0 || uintptr(n)*size < MinBytes {
		return make([]T, n)
	}
	extra := int((Size + size - 1) / size)
	all := make([]T, n+extra)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(all)))
	skip := int(((start+Size-1)&^(Size-1) - start + size - 1) / size)
	s := all[skip : skip+n : skip+n]
	used := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	beg := used &^ (Size - 1) // at or after start: the page the array starts in is all's
	end := (used + uintptr(n)*size) &^ (Size - 1)
	if beg < end {
		advise(beg, end-beg)
	}
	return s
}
