package memlimit

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

var (
	sink []byte
	held [][]byte // package level: reachable until dropped, whatever the compiler sees
)

// After most of a large heap became garbage, Shed has the runtime collect
// it without a forced collection (the lowered limit starts the next
// cycle), puts the limit back, and does nothing again within shedEvery.
func TestShedReturnsTheHeapAndPutsTheLimitBack(t *testing.T) {
	const limit = 1 << 40
	prev := debug.SetMemoryLimit(limit)
	defer debug.SetMemoryLimit(prev)
	held = make([][]byte, 48)
	for i := range held {
		held[i] = make([]byte, 4<<20)
		for j := 0; j < len(held[i]); j += 4096 {
			held[i][j] = 1 // touch: resident, as a parsed list is
		}
	}
	runtime.GC() // the large heap is what the last cycle marked, as after a rebuild
	held = nil   // the move onto the snapshot: all of it is garbage now
	before, cycles := heapStats()
	if before < 150<<20 {
		t.Fatalf("heap %d MiB before shedding; the test needs ~192", before>>20)
	}

	var s Shedder
	done := make(chan uint64, 1)
	s.Shed(context.Background(), func(heap, _ uint64) { done <- heap })
	if got := debug.SetMemoryLimit(-1); got >= limit {
		t.Fatalf("limit while shedding = %d, want it lowered", got)
	}
	var after uint64
	deadline := time.After(20 * time.Second)
wait:
	for {
		select {
		case after = <-done:
			break wait
		case <-deadline:
			t.Fatal("the shedding did not end")
		default:
			sink = make([]byte, 64<<10) // a serving process allocates: the lowered limit starts a cycle
			time.Sleep(time.Millisecond)
		}
	}
	if _, n := heapStats(); n <= cycles {
		t.Fatal("no collection ran")
	}
	if after == 0 || after > before/4 {
		t.Errorf("heap after shedding %d MiB (before %d MiB)", after>>20, before>>20)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("limit after shedding = %d, want %d back", got, limit)
	}

	held = make([][]byte, 48)
	for i := range held {
		held[i] = make([]byte, 4<<20)
	}
	s.Shed(context.Background(), func(uint64, uint64) { t.Error("shed twice within shedEvery") })
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("a second Shed within shedEvery changed the limit to %d", got)
	}
	held = nil
}
