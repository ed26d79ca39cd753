package resolver

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestPendingReplyRacingTheDeadline: an upstream socket's reader matches a
// reply to its waiter while the waiter's query gives up (deadline, context)
// and the waiter goes back to the pool. Matching must happen under the
// table's lock: the soak of issue 12 crashed the server with a nil
// dereference in replyMatches (a recycled waiter's query), and a recycled
// waiter registered again could be handed another query's reply. Run with
// -race (as CI does) for the data race; a panic shows without it.
func TestPendingReplyRacingTheDeadline(t *testing.T) {
	tab := &pendingTable{m: make(map[uint16]*waiter)}
	done := make(chan struct{})
	var current atomic.Uint32 // ID of the waiter now registered, +1 (0: none)
	var wg sync.WaitGroup
	wg.Go(func() { // the socket's reader: a reply for whatever is registered
		q := &query{name: "a.test.", qtype: dns.TypeA, qclass: dns.ClassINET}
		for {
			select {
			case <-done:
				return
			default:
			}
			id := current.Load()
			if id == 0 {
				continue
			}
			b, err := q.appendWire(nil, uint16(id-1))
			if err != nil {
				t.Error(err)
				return
			}
			b[2] |= 0x80 // QR
			tab.deliver(b)
		}
	})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	wrong := 0
	for i := range 20000 {
		name := "a.test."
		if i%2 == 1 {
			name = "b.test."
		}
		q := &query{name: name, qtype: dns.TypeA, qclass: dns.ClassINET}
		w, id, err := tab.add(q, time.Now().Add(time.Minute), nil)
		if err != nil {
			t.Fatal(err)
		}
		current.Store(uint32(id) + 1)
		m, _ := tab.wait(cancelled, w) // gives up now, unless the reply won; w is recycled
		if m != nil && m.Question[0].Name != name {
			wrong++
		}
	}
	close(done)
	wg.Wait()
	if wrong > 0 {
		t.Errorf("%d replies handed to a waiter for another question", wrong)
	}
}
