package live

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestZeroValueHoldsNil(t *testing.T) {
	var v Value[int]
	if v.Load() != nil {
		t.Fatal("zero Value does not hold nil")
	}
}

// Readers racing with Replace see only values that were replaced whole.
func TestReplaceUnderLoad(t *testing.T) {
	type pair struct{ a, b int }
	var v Value[pair]
	v.Replace(&pair{0, 0})
	var stop atomic.Bool
	var torn atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				if p := v.Load(); p.a != p.b {
					torn.Add(1)
				}
			}
		})
	}
	for i := 1; i <= 1000; i++ {
		v.Replace(&pair{i, i})
	}
	stop.Store(true)
	wg.Wait()
	if n := torn.Load(); n != 0 {
		t.Fatalf("%d torn reads", n)
	}
	if p := v.Load(); p.a != 1000 {
		t.Fatalf("Load after the last Replace = %+v", p)
	}
	v.Replace(nil)
	if v.Load() != nil {
		t.Fatal("Replace(nil) did not empty it")
	}
}
