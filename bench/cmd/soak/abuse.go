package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// abuse is issue 12's TCP abuse, kept up for the whole run.
type abuse struct {
	slowOpens, holdOpens, holdLost atomic.Int64
	reconnect                      time.Duration // wait before reopening a connection the server closed

	mu        sync.Mutex
	goodWait  []time.Duration // the well-behaved TCP client's time to be served (this interval)
	goodFail  int
	goodErr   string
	goodAll   []time.Duration // ... over the whole run
	goodFails int
}

func dialFrom(from, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return d.Dial("tcp", addr)
}

func frame(name string, qtype uint16, id uint16) []byte {
	q := new(dns.Msg)
	q.SetQuestion(name, qtype)
	q.Id = id
	b, _ := q.Pack()
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(b))), b...)
}

// slowReaders keeps n connections (from 127.0.0.10-19) that each pipeline
// queries for the 4.6 KB answer and never read; a connection the server
// closes is opened again a.reconnect later.
func (a *abuse) slowReaders(ctx context.Context, addr string, n, queries int) {
	var burst []byte
	for i := range queries {
		burst = append(burst, frame("big.soak.", dns.TypeTXT, uint16(i))...)
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			from := fmt.Sprintf("127.0.0.%d", 10+i%10)
			for ctx.Err() == nil {
				c, err := dialFrom(from, addr)
				if err == nil {
					a.slowOpens.Add(1)
					c.SetWriteDeadline(time.Now().Add(30 * time.Second))
					_, err = c.Write(burst)
					for err == nil && ctx.Err() == nil { // alive until a write fails
						sleep(ctx, 2*time.Second)
						c.SetWriteDeadline(time.Now().Add(5 * time.Second))
						_, err = c.Write(burst[:len(frame("big.soak.", dns.TypeTXT, 0))])
					}
					c.Close()
				}
				sleep(ctx, a.reconnect)
			}
		})
	}
	wg.Wait()
}

// holders keep up to n idle-but-alive connections from 127.0.0.2-9: one
// query every 8 s each; a closed one is opened again a.reconnect later.
func (a *abuse) holders(ctx context.Context, addr string, n int) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			from := fmt.Sprintf("127.0.0.%d", 2+i%8)
			sleep(ctx, time.Duration(i)*5*time.Millisecond) // ramp up
			for ctx.Err() == nil {
				c, err := dialFrom(from, addr)
				if err == nil {
					a.holdOpens.Add(1)
					dc := &dns.Conn{Conn: c}
					for ctx.Err() == nil {
						if tcpAsk(dc, "n1.cached.soak.") != nil {
							a.holdLost.Add(1)
							break
						}
						sleep(ctx, 8*time.Second)
					}
					c.Close()
				}
				sleep(ctx, a.reconnect)
			}
		})
	}
	wg.Wait()
}

// goodClient connects from 127.0.0.200 every 2 s, asks one query, and
// records how long it took to be served.
func (a *abuse) goodClient(ctx context.Context, addr string) {
	for ctx.Err() == nil {
		start := time.Now()
		c, err := dialFrom("127.0.0.200", addr)
		if err == nil {
			err = tcpAsk(&dns.Conn{Conn: c}, "n2.cached.soak.")
			c.Close()
		}
		a.mu.Lock()
		if err != nil {
			a.goodFail++
			a.goodFails++
			a.goodErr = err.Error()
		} else {
			a.goodWait = append(a.goodWait, time.Since(start))
			a.goodAll = append(a.goodAll, time.Since(start))
		}
		a.mu.Unlock()
		sleep(ctx, 2*time.Second)
	}
}

// goodTotal returns the well-behaved TCP client's figures over the run.
func (a *abuse) goodTotal() (n, fail int, p50, p99, worst time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w := append([]time.Duration(nil), a.goodAll...)
	if len(w) == 0 {
		return 0, a.goodFails, 0, 0, 0
	}
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	return len(w), a.goodFails, w[len(w)/2], w[len(w)*99/100], w[len(w)-1]
}

// goodStats returns and resets the well-behaved TCP client's figures.
func (a *abuse) goodStats() (n, fail int, p50, worst time.Duration, lastErr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w := a.goodWait
	n, fail, lastErr = len(w), a.goodFail, a.goodErr
	a.goodWait, a.goodFail, a.goodErr = nil, 0, ""
	if len(w) > 0 {
		sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
		p50, worst = w[len(w)/2], w[len(w)-1]
	}
	return
}

func tcpAsk(dc *dns.Conn, name string) error {
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	dc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := dc.WriteMsg(q); err != nil {
		return err
	}
	r, err := dc.ReadMsg()
	if err != nil {
		return err
	}
	if r.Id != q.Id || r.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("answer id %d rcode %s", r.Id, dns.RcodeToString[r.Rcode])
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// abuseChild is the process the attacker runs in (-abuse-child): the slow
// readers and the holders until SIGTERM, their counters on stdout every
// second ("abuse SLOWOPENS HOLDOPENS HOLDLOST").
func abuseChild(ctx context.Context, o options, addr string) {
	a := &abuse{reconnect: o.reconnect}
	var wg sync.WaitGroup
	wg.Go(func() { a.slowReaders(ctx, addr, o.slowConns, o.slowQueries) })
	wg.Go(func() { a.holders(ctx, addr, o.holdConns) })
	wg.Go(func() {
		for ctx.Err() == nil {
			fmt.Printf("abuse %d %d %d\n", a.slowOpens.Load(), a.holdOpens.Load(), a.holdLost.Load())
			sleep(ctx, time.Second)
		}
	})
	wg.Wait()
	fmt.Printf("abuse %d %d %d\n", a.slowOpens.Load(), a.holdOpens.Load(), a.holdLost.Load())
}

// runAbuse runs the slow readers and the holders until ctx ends: in a
// child process under nice -n o.abuseNice (the attacker then takes CPU
// from the server, as it would from another machine, but not from the
// well-behaved client and the upstream sharing this process), or here
// when o.abuseNice is negative. The child's counters are copied into a.
func (a *abuse) run(ctx context.Context, o options, addr string) error {
	if o.abuseNice < 0 {
		var wg sync.WaitGroup
		wg.Go(func() { a.slowReaders(ctx, addr, o.slowConns, o.slowQueries) })
		wg.Go(func() { a.holders(ctx, addr, o.holdConns) })
		wg.Wait()
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command("nice", "-n", strconv.Itoa(o.abuseNice), self, "-abuse-child", "-dns", addr,
		"-slow-conns", strconv.Itoa(o.slowConns), "-slow-queries", strconv.Itoa(o.slowQueries),
		"-hold-conns", strconv.Itoa(o.holdConns), "-reconnect", o.reconnect.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("attacker process: %w", err)
	}
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			cmd.Process.Signal(syscall.SIGTERM)
		case <-stopped:
		}
	}()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var slow, hold, lost int64
		if n, _ := fmt.Sscanf(sc.Text(), "abuse %d %d %d", &slow, &hold, &lost); n == 3 {
			a.slowOpens.Store(slow)
			a.holdOpens.Store(hold)
			a.holdLost.Store(lost)
		}
	}
	err = cmd.Wait()
	close(stopped)
	if ctx.Err() != nil {
		return nil // stopped by us
	}
	return fmt.Errorf("attacker process ended early: %v", err)
}
