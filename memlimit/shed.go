package memlimit

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Shedder hands the heap back to the OS after most of it became garbage at
// once: the lists moved from the heap onto the mmapped snapshot file, so
// the rebuild's heap copy of the names and the table (tens of bytes a
// name) is garbage. It is the one scavenge kept beside the memory limit
// (issue 10.4 removed the forced collection after every rebuild), for issue
// 15.3's bytes per name, because the runtime alone is slow to do it here:
//
//   - nothing starts a collection: the heap goal is twice the live heap the
//     last cycle marked, which still held the lists, so the next cycle is
//     the 2-minute periodic one (10M names: ~790 MiB held for 90 s);
//   - lowering the memory limit for one cycle (tried first) gets the
//     collection at once, but the background scavenger returns the pages
//     at its own pace, ~1 % of a CPU: on this shared box 200–250 MiB were
//     still held several seconds later and ~60 s passed before RSS came
//     down to the ~15 B a name the snapshot needs.
//
// So Shed calls debug.FreeOSMemory once, in the background: a collection
// of what is left live (a few MiB once the lists are on the file, ~1 ms of
// marking) and the release of every free page. It runs at most once every
// shedEvery — the cold load's move, then a scheduled feed update's — so a
// burst of rebuilds (SIGHUP once a second, bench/run's refresh test) is
// left to the memory limit as every rebuild is, and its RSS stays flat.
// The zero value is ready.
type Shedder struct {
	mu   sync.Mutex
	last time.Time
	busy bool
}

// shedEvery is the least time between two sheddings.
const shedEvery = 10 * time.Minute

// shedMin is the heap (live and garbage) below which shedding is not worth
// a collection.
const shedMin = 32 << 20

// Shed starts the shedding described on Shedder and returns at once; done
// (if not nil) is called after it with the heap bytes left and the free
// heap bytes still held. It does nothing (and done is not called) within
// shedEvery of the last one, for a small heap, or when ctx has ended.
func (s *Shedder) Shed(ctx context.Context, done func(heap, free uint64)) {
	s.mu.Lock()
	now := time.Now()
	if s.busy || (!s.last.IsZero() && now.Sub(s.last) < shedEvery) || ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	if heap, _ := heapStats(); heap < shedMin {
		s.mu.Unlock()
		return
	}
	s.busy, s.last = true, now
	s.mu.Unlock()
	go func() {
		debug.FreeOSMemory()
		heap, free := heapStats()
		s.mu.Lock()
		s.busy = false
		s.mu.Unlock()
		if done != nil {
			done(heap, free)
		}
	}()
}

// heapStats reads the bytes of heap objects (live and not yet swept) and
// the free heap bytes not yet returned to the OS.
func heapStats() (heap, free uint64) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(samples)
	return samples[0].Value.Uint64(), samples[1].Value.Uint64()
}
