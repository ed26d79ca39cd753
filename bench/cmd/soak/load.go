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
// unique names (cache misses forwarded upstream). A query unanswered after
// 2 s is lost.
type udpLoad struct {
	sent, answered, lost, servfail, readErrs atomic.Int64
}

const lostAfter = 2 * time.Second

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
	var sentAt [65536]atomic.Int64
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
			if sentAt[id].Swap(0) != 0 {
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
	buf := make([]byte, 0, 512)
	for {
		select {
		case <-ctx.Done():
			time.Sleep(lostAfter)
			l.sweep(&sentAt, time.Now().Add(time.Hour))
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
				b, err := q.PackBuffer(buf)
				if err != nil {
					return err
				}
				if sentAt[id].Swap(now.UnixNano()) != 0 {
					l.lost.Add(1) // still unanswered after a whole ID cycle
				}
				if _, err := c.Write(b); err != nil {
					return fmt.Errorf("udp write: %w", err)
				}
				l.sent.Add(1)
				id++
			}
			if now.Sub(lastSweep) > 500*time.Millisecond {
				l.sweep(&sentAt, now)
				lastSweep = now
			}
		}
	}
}

func (l *udpLoad) sweep(sentAt *[65536]atomic.Int64, now time.Time) {
	limit := now.Add(-lostAfter).UnixNano()
	for i := range sentAt {
		if ts := sentAt[i].Load(); ts != 0 && ts < limit && sentAt[i].CompareAndSwap(ts, 0) {
			l.lost.Add(1)
		}
	}
}
