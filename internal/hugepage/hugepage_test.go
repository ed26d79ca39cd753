package hugepage

import "testing"

// Advise is a hint: the memory stays zero, writable and the caller's,
// for arrays below, at and well above MinBytes, aligned or not.
func TestAdviseKeepsTheMemory(t *testing.T) {
	for _, n := range []int{0, 1, MinBytes - 1, MinBytes, 3*MinBytes + 4096} {
		b := make([]byte, n)
		Advise(b)
		Advise(b[min(n, 100):]) // an interior start, not page-aligned
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("%d bytes: byte %d is %d after Advise", n, i, b[i])
			}
			b[i] = byte(i)
		}
		for i := range b {
			if b[i] != byte(i) {
				t.Fatalf("%d bytes: byte %d lost its value", n, i)
			}
		}
	}
	u := make([]uint64, MinBytes/8+3)
	Advise(u)
	u[len(u)-1] = 7
	if u[len(u)-1] != 7 || u[0] != 0 {
		t.Fatal("a []uint64 changed")
	}
}
