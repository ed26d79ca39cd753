package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// udpLoad is the well-behaved client: qps UDP queries a second over four
// sockets, 30 % blocked names, 60 % names answered from the cache, 10 %
// unique names (cache misses forwarded upstream). It behaves as a stub
// resolver does: a query unanswered after retryAfter is sent once more
// (same ID, same bytes: counted in retried), and it is lost when no answer
// came lostAfter after that retry. retried shows what a stricter client
// (no retry) would have lost; the socket drop counts say which side dropped.
type udpLoad struct {
	sent, answered, retried, lost, servfail, readErrs atomic.Int64

	mu    sync.Mutex
	ports []int // local ports of the client's sockets
}

// localPorts returns the ports of the client's sockets (none before run
// opened them).
func (l *udpLoad) localPorts() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ports
}

const (
	retryAfter = time.Second
	lostAfter  = 2 * time.Second
)

// pending is the state of one query ID of a worker.
type pending struct {
	sentAt  atomic.Int64 // unix ns of the first send; 0: answered or given up
	retried bool         // only the writer goroutine touches it
	wire    []byte       // the query, for the retry (writer only)
}

func (l *udpLoad) run(ctx context.Context, addr string, qps int, names int) error {
	const workers = 4
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		c, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		c.(*net.UDPConn).SetReadBuffer(4 << 20)
		l.mu.Lock()
		l.ports = append(l.ports, c.LocalAddr().(*net.UDPAddr).Port)
		l.mu.Unlock()
		wg.Go(func() {
			defer c.Close()
			if err := l.worker(ctx, c, w, qps/workers, names); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func (l *udpLoad) worker(ctx context.Context, c net.Conn, w, qps, names int) error {
	var ids [65536]pending
	go func() { // reader
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				l.readErrs.Add(1) // e.g. ICMP port unreachable reported on the socket
				continue
			}
			if n < 12 {
				continue
			}
			id := binary.BigEndian.Uint16(buf)
			if ids[id].sentAt.Swap(0) != 0 {
				l.answered.Add(1)
				if buf[3]&0xF == dns.RcodeServerFailure {
					l.servfail.Add(1)
				}
			}
		}
	}()
	const tick = 5 * time.Millisecond
	perTick := float64(qps) * tick.Seconds()
	due := 0.0
	t := time.NewTicker(tick)
	defer t.Stop()
	lastSweep := time.Now()
	var id uint16
	seq := 0
	q := new(dns.Msg)
	for {
		select {
		case <-ctx.Done():
			// The last queries get their retry and their wait too.
			for end := time.Now().Add(retryAfter + lostAfter + 100*time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
				l.sweep(c, &ids, time.Now())
			}
			l.sweep(c, &ids, time.Now().Add(time.Hour))
			return nil
		case now := <-t.C:
			due += perTick
			for ; due >= 1; due-- {
				seq++
				var name string
				switch r := seq % 10; {
				case r < 3:
					i := (seq*7919)%names | 1 // odd: never a name the rewrites change (i%10 == 0)
					if i%10 == 0 {
						i++
					}
					name = fmt.Sprintf("scam%d.soak-blocked.example.", i%names)
				case r < 9:
					name = fmt.Sprintf("n%d.cached.soak.", seq%2000)
				default:
					name = fmt.Sprintf("u%d.w%d.miss.soak.", seq, w)
				}
				q.SetQuestion(name, dns.TypeA)
				q.Id = id
				p := &ids[id]
				b, err := q.PackBuffer(p.wire[:0])
				if err != nil {
					return err
				}
				p.wire, p.retried = b, false
				if p.sentAt.Swap(now.UnixNano()) != 0 {
					l.lost.Add(1) // still unanswered after a whole ID cycle
				}
				if _, err := c.Write(b); err != nil {
					return fmt.Errorf("udp write: %w", err)
				}
				l.sent.Add(1)
				id++
			}
			if now.Sub(lastSweep) > 100*time.Millisecond {
				l.sweep(c, &ids, now)
				lastSweep = now
			}
		}
	}
}

// sweep sends the retry of queries unanswered for retryAfter and gives up
// on those unanswered lostAfter after their retry.
func (l *udpLoad) sweep(c net.Conn, ids *[65536]pending, now time.Time) {
	retry := now.Add(-retryAfter).UnixNano()
	lost := now.Add(-retryAfter - lostAfter).UnixNano()
	for i := range ids {
		p := &ids[i]
		ts := p.sentAt.Load()
		switch {
		case ts == 0 || ts >= retry:
		case !p.retried:
			p.retried = true
			l.retried.Add(1)
			c.Write(p.wire)
		case ts < lost && p.sentAt.CompareAndSwap(ts, 0):
			l.lost.Add(1)
		}
	}
}
