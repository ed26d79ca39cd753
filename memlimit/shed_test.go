package memlimit

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

var held [][]byte // package level: reachable until dropped, whatever the compiler sees

// After most of a large heap became garbage, Shed returns it to the OS in
// the background, leaves the memory limit alone, and does nothing again
// within shedEvery.
func TestShedReturnsTheHeapOnce(t *testing.T) {
	limit := debug.SetMemoryLimit(-1)
	held = make([][]byte, 48)
	for i := range held {
		held[i] = make([]byte, 4<<20)
		for j := 0; j < len(held[i]); j += 4096 {
			held[i][j] = 1 // touch: resident, as a parsed list is
		}
	}
	runtime.GC() // the large heap is what the last cycle marked, as after a rebuild
	held = nil   // the move onto the snapshot: all of it is garbage now
	before, _ := heapStats()
	if before < 150<<20 {
		t.Fatalf("heap %d MiB before shedding; the test needs ~192", before>>20)
	}

	var s Shedder
	type result struct{ heap, free uint64 }
	done := make(chan result, 1)
	s.Shed(context.Background(), func(heap, free uint64) { done <- result{heap, free} })
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the shedding did not end")
	}
	if r.heap > before/4 || r.free > 64<<20 {
		t.Errorf("after shedding: heap %d MiB (before %d MiB), free held %d MiB", r.heap>>20, before>>20, r.free>>20)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("the memory limit changed: %d, was %d", got, limit)
	}

	held = make([][]byte, 48)
	for i := range held {
		held[i] = make([]byte, 4<<20)
	}
	held = nil
	s.Shed(context.Background(), func(uint64, uint64) { t.Error("shed twice within shedEvery") })
	time.Sleep(100 * time.Millisecond)
}
