package hugepage

import (
	"testing"
	"unsafe"
)

// Make's arrays are zero, writable, of the length asked, and the large
// ones start within one element of a huge page boundary, for element
// sizes that divide Size and one that does not (12 bytes).
func TestMakeAlignsAndKeepsTheMemory(t *testing.T) {
	for _, n := range []int{0, 1, MinBytes - 1, MinBytes, 3*MinBytes + 4096} {
		b := Make[byte](n)
		if len(b) != n || cap(b) != n {
			t.Fatalf("Make(%d): len %d cap %d", n, len(b), cap(b))
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("%d bytes: byte %d is %d", n, i, b[i])
			}
			b[i] = byte(i)
		}
		for i := range b {
			if b[i] != byte(i) {
				t.Fatalf("%d bytes: byte %d lost its value", n, i)
			}
		}
		if n >= MinBytes && uintptr(unsafe.Pointer(&b[0]))%Size != 0 {
			t.Errorf("Make[byte](%d) starts at %#x, not on a huge page", n, uintptr(unsafe.Pointer(&b[0])))
		}
	}
	type rec struct{ a, b, c uint32 }
	r := Make[rec](MinBytes/12 + 5)
	if off := uintptr(unsafe.Pointer(&r[0])) % Size; off >= 12 {
		t.Errorf("Make[rec] starts %d bytes after a huge page boundary", off)
	}
	r[len(r)-1] = rec{1, 2, 3}
	if r[0] != (rec{}) || r[len(r)-1] != (rec{1, 2, 3}) {
		t.Fatal("a []rec changed")
	}
}
