package memlimit

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// Shedder hands the heap back to the OS after most of it became garbage at
// once — the lists moved from the heap onto the mmapped snapshot file —
// through the memory limit rather than a forced collection (issue 10.4):
// it lowers the limit below what the heap holds, so that the runtime
// starts its next collection at once and its scavenger returns the freed
// pages to stay under the limit, and puts the limit back when that
// collection has run. Without it the garbage waits for the runtime's next
// cycle, which after a rebuild's large heap is the 2-minute periodic one:
// at 10M names the process kept ~790 MiB for 90 s after the move and came
// down to ~150 MiB only after 150 s (bench/README.md, "Scale table").
//
// Shed runs at most once every shedEvery: the first move after a start
// (the cold load's rebuild) and then a scheduled feed update's, while a
// burst of rebuilds (SIGHUP once a second) is left to the limit as every
// rebuild is, so that its RSS stays flat. The zero value is ready.
type Shedder struct {
	mu   sync.Mutex
	last time.Time
	busy bool
}

// shedEvery is the least time between two sheddings.
const shedEvery = 10 * time.Minute

// shedMin is the heap below which shedding is not worth a collection.
const shedMin = 16 << 20

// shedWait bounds how long the lowered limit stays when no collection
// comes (an idle process allocates little); the runtime's periodic
// collection then does the work with the limit put back.
const shedWait = 30 * time.Second

// Shed starts the shedding described on Shedder and returns at once; done
// (if not nil) is called when the limit is back and the scavenger has
// returned the freed pages (it stopped making progress), with the heap
// bytes the collection left and the free heap bytes still held (heap 0:
// no collection ran in time).
func (s *Shedder) Shed(ctx context.Context, done func(heap, free uint64)) {
	s.mu.Lock()
	now := time.Now()
	if s.busy || (!s.last.IsZero() && now.Sub(s.last) < shedEvery) {
		s.mu.Unlock()
		return
	}
	heap, cycles := heapStats()
	prev := debug.SetMemoryLimit(-1)
	target := int64(max(heap/2, shedMin))
	if heap < 2*shedMin || prev <= target {
		s.mu.Unlock()
		return // little to shed, or the limit is already that tight
	}
	s.busy, s.last = true, now
	s.mu.Unlock()
	debug.SetMemoryLimit(target)
	go func() {
		left := s.await(ctx, cycles)
		if debug.SetMemoryLimit(-1) == target { // nobody set another one meanwhile
			debug.SetMemoryLimit(prev)
		}
		free := uint64(0)
		if left > 0 {
			free = awaitScavenger(ctx)
		}
		s.mu.Lock()
		s.busy = false
		s.mu.Unlock()
		if done != nil {
			done(left, free)
		}
	}()
}

// awaitScavenger waits until the runtime's background scavenger has
// returned what the collection freed — the free heap it still holds
// stops shrinking for half a second, or is under 4 MiB — or ctx ends or
// shedWait passes, and returns the free heap bytes held then.
func awaitScavenger(ctx context.Context) uint64 {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(shedWait)
	free, still := freeHeap(), 0
	for free >= 4<<20 && still < 5 {
		select {
		case <-ctx.Done():
			return free
		case <-deadline:
			return free
		case <-tick.C:
		}
		if f := freeHeap(); f < free {
			free, still = f, 0
		} else {
			still++
		}
	}
	return free
}

// freeHeap is the heap memory that is free but not yet returned to the OS.
func freeHeap() uint64 {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	metrics.Read(samples)
	return samples[0].Value.Uint64()
}

// await waits until a collection after cycles has completed, ctx ends or
// shedWait passes, and returns the heap bytes after it (0 if none ran).
func (s *Shedder) await(ctx context.Context, cycles uint64) uint64 {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(shedWait)
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-deadline:
			return 0
		case <-tick.C:
		}
		if heap, n := heapStats(); n > cycles {
			return heap
		}
	}
}

// heapStats reads the bytes of heap objects (live and not yet swept) and
// the number of completed collections.
func heapStats() (heap, cycles uint64) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
	metrics.Read(samples)
	return samples[0].Value.Uint64(), samples[1].Value.Uint64()
}
