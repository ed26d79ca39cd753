package resolver

import (
	"encoding/binary"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
)

// bigZone answers TXT queries for big.slow. with about 4.6 KB, the answer
// size of the slow-reader attack in issue 12, and for huge.slow. with about
// 32 KB (the socket buffers fill after fewer answers: a shorter test).
type bigZone struct{}

func (bigZone) Answer(req *dns.Msg) (*dns.Msg, bool) {
	q := req.Question[0]
	strs := map[string]int{"big.slow.": 18, "huge.slow.": 128}[strings.ToLower(q.Name)]
	if strs == 0 {
		return nil, false
	}
	m := new(dns.Msg)
	m.SetReply(req)
	var txt []string
	for i := range strs {
		txt = append(txt, strings.Repeat(string(rune('a'+i%26)), 250))
	}
	m.Answer = []dns.RR{&dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: txt}}
	return m, true
}

// pipelined returns n length-prefixed TXT queries for name.
func pipelined(t testing.TB, name string, n int) []byte {
	t.Helper()
	var out []byte
	for i := range n {
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeTXT)
		q.Id = uint16(i)
		b, err := q.Pack()
		if err != nil {
			t.Fatal(err)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(b)))
		out = append(out, b...)
	}
	return out
}

// dialFrom opens a TCP connection to addr from the loopback address from
// (127.0.0.0/8 is all loopback on Linux: each address is another client).
func dialFrom(t testing.TB, from, addr string) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: 20 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn), nil
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestTCPSlowReadersDoNotPinMemory is issue 12's slow-reader attack scaled
// down: connections pipeline queries for a large answer and never read.
// The server must not keep a goroutine per query in flight, and must close
// each connection once a write times out, so goroutines come back to the
// baseline while the attacker still holds its sockets open.
func TestTCPSlowReadersDoNotPinMemory(t *testing.T) {
	conns, perConn := 100, 300
	if raceEnabled { // answers cost ~10x more to build: fewer attackers, same shape
		conns = 25
	}
	ts := startServer(t, Config{TCPIdle: time.Minute}, testList(), bigZone{})
	ts.query(t, "tcp", "big.slow.", dns.TypeTXT, false) // warm up
	baseG, baseHeap := runtime.NumGoroutine(), heapInUse()

	burst := pipelined(t, "huge.slow.", perConn)
	var wg sync.WaitGroup
	for range conns {
		c, err := dialFrom(t, "", ts.tcp)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			c.SetWriteDeadline(time.Now().Add(20 * time.Second))
			c.Write(burst) // never reads
		})
	}
	peakG, peakHeap, peakQueued := 0, uint64(0), int64(0)
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	settled := false
	for time.Now().Before(deadline) {
		time.Sleep(250 * time.Millisecond)
		g := runtime.NumGoroutine()
		peakG = max(peakG, g-baseG)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peakHeap = max(peakHeap, ms.HeapInuse)
		peakQueued = max(peakQueued, ts.Server.tcp.queued.Load())
		if g <= baseG+conns/10 && time.Since(start) > 3*time.Second {
			settled = true
			break
		}
	}
	t.Logf("%d connections x %d pipelined queries, never read: peak +%d goroutines, heap in use %d -> peak %d KiB (garbage included), peak %d KiB queued, now +%d goroutines after %v",
		conns, perConn, peakG, baseHeap>>10, peakHeap>>10, peakQueued>>10, runtime.NumGoroutine()-baseG, time.Since(start).Round(time.Second))
	if peakG > (16+2)*conns+50 { // TCPPipeline (16) resolving + reader + writer
		t.Errorf("peak %d goroutines over the baseline for %d connections: want at most 18 per connection", peakG, conns)
	}
	// The budget is kept after each answer is queued: every connection's
	// reader may have put one answer past it before the heaviest queue is
	// closed. (With the kernel's buffers bounded, ab9e648 and 2b6e108, more
	// of the answers wait here: peaks of 17-33 MiB were measured.)
	if peakQueued > 32<<20+int64(conns)*(32<<10) {
		t.Errorf("%d KiB of answers queued at peak: want at most the TCP memory budget (32 MiB) and one answer per connection", peakQueued>>10)
	}
	if grew := peakHeap - baseHeap; grew > 2*32<<20+32<<20 { // the budget, garbage not yet collected (GOGC 100), slack
		t.Errorf("heap in use grew by %d MiB: want at most 96", grew>>20)
	}
	if !settled {
		t.Errorf("30 s later %d goroutines over the baseline: the server still holds the slow readers' connections (want them closed after the write timeout)",
			runtime.NumGoroutine()-baseG)
	}
	// The server still answers a well-behaved client.
	if r := ts.query(t, "tcp", "big.slow.", dns.TypeTXT, false); len(r.Answer) != 1 {
		t.Errorf("after the attack: %d answers, want 1", len(r.Answer))
	}
	wg.Wait()
}

// TestTCPWellBehavedClientServedDuringLockout: clients hold every connection
// the server allows, idle but alive; a new client is still served, at once.
func TestTCPWellBehavedClientServedDuringLockout(t *testing.T) {
	const maxConns = 40
	for _, attackers := range []int{1, 8} {
		t.Run(fmt.Sprintf("%d attacker addresses", attackers), func(t *testing.T) {
			ts := startServer(t, Config{MaxTCPConns: maxConns, TCPIdle: time.Minute}, testList())
			held := 0
			for i := range 3 * maxConns { // more than the cap: try to hold all of it
				c, err := dialFrom(t, fmt.Sprintf("127.0.0.%d", 2+i%attackers), ts.tcp)
				if err != nil {
					continue
				}
				if tcpQuery(c, "a.test.") == nil {
					held++
				}
			}
			t.Logf("attacker answered on %d connection attempts", held)
			start := time.Now()
			c, err := dialFrom(t, "127.0.0.200", ts.tcp)
			if err != nil {
				t.Fatalf("well-behaved client cannot connect: %v", err)
			}
			if err := tcpQuery(c, "a.test."); err != nil {
				t.Fatalf("well-behaved client not served while the attacker holds the connections: %v", err)
			}
			t.Logf("well-behaved client served in %v", time.Since(start))
		})
	}
}

// tcpQuery asks for name A on c and reads the answer.
func tcpQuery(c net.Conn, name string) error {
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	dc := &dns.Conn{Conn: c}
	c.SetDeadline(time.Now().Add(3 * time.Second))
	defer c.SetDeadline(time.Time{})
	if err := dc.WriteMsg(q); err != nil {
		return err
	}
	r, err := dc.ReadMsg()
	if err != nil {
		return err
	}
	if r.Id != q.Id || r.Rcode != dns.RcodeSuccess {
		return fmt.Errorf("bad answer: id %d rcode %s", r.Id, dns.RcodeToString[r.Rcode])
	}
	return nil
}

// TestTCPMemoryBudgetClosesTheHeaviestQueue: with a small budget for all
// connections, slow readers are closed for the budget before any write
// times out.
func TestTCPMemoryBudgetClosesTheHeaviestQueue(t *testing.T) {
	ts := startServer(t, Config{TCPIdle: time.Minute, TCPWriteTimeout: time.Minute, TCPMemory: 256 << 10}, testList(), bigZone{})
	burst := pipelined(t, "big.slow.", 2000)
	for range 20 {
		c, err := dialFrom(t, "", ts.tcp)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(burst)
	}
	closed := ts.metrics.tcpClosedBy.WithLabelValues("memory_budget")
	deadline := time.Now().Add(10 * time.Second)
	for counterValue(closed) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := counterValue(closed); n == 0 {
		t.Fatalf("no connection closed for the memory budget")
	}
	// Within the budget once the closed connections' queues are dropped
	// (one connection may overshoot by its pipeline).
	limit := int64(256<<10 + 16*5000)
	for ts.Server.tcp.queued.Load() > limit && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if q := ts.Server.tcp.queued.Load(); q > limit {
		t.Errorf("%d bytes queued, budget 256 KiB", q)
	}
}

func counterValue(c interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

// TestTCPSlowReaderGetsFewAnswers: a client that pipelines queries for a
// large answer and never reads gets only what its connection's buffers
// hold answered. The kernel's send buffer is a queue too: left to grow (up
// to net.ipv4.tcp_wmem's maximum, 4 MiB), it took about 1 MiB of answers
// per non-reading connection, and building them took the server's CPU from
// everyone else (the soak of issue 12 lost its UDP queries to it).
func TestTCPSlowReaderGetsFewAnswers(t *testing.T) {
	const connBuf, answer, pipeline = 64 << 10, 4600, 16
	ts := startServer(t, Config{TCPIdle: time.Minute, TCPWriteTimeout: time.Minute, TCPConnBuffer: connBuf, TCPPipeline: pipeline}, testList(), bigZone{})
	ts.query(t, "tcp", "big.slow.", dns.TypeTXT, false) // cached: every answer below comes from the fast path
	read := ts.metrics.transport[transportTCP]
	before := counterValue(read)
	c, err := dialFrom(t, "", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	const clientBuf = 16 << 10
	c.SetReadBuffer(clientBuf)
	c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	go c.Write(pipelined(t, "big.slow.", 1000)) // ~4.6 MB of answers; never read
	last, stable := -1.0, 0
	for deadline := time.Now().Add(15 * time.Second); stable < 8 && time.Now().Before(deadline); {
		time.Sleep(250 * time.Millisecond)
		if n := counterValue(read) - before; n == last {
			stable++
		} else {
			last, stable = n, 0
		}
	}
	// The pipeline, the connection's queue, the kernel's send buffer
	// (twice what is asked for: Linux doubles SO_SNDBUF) and the client's
	// receive buffer, with room for the kernel's own accounting.
	limit := float64(pipeline + 2*(connBuf+2*connBuf+2*clientBuf)/answer)
	t.Logf("queries read from the non-reading connection: %.0f (limit %.0f)", last, limit)
	if last > limit {
		t.Errorf("the server read %.0f of the slow reader's queries (%.1f MB of answers): want at most %.0f; its answers must not pile up in the kernel's send buffer",
			last, last*answer/1e6, limit)
	}
}

// TestTCPUnreadQueriesStaySmall: queries a client pipelines beyond what the
// server reads wait in the server's receive buffer; it is small (the server
// reads at most TCPPipeline queries ahead), not the kernel default of
// 128 KiB or more per connection.
func TestTCPUnreadQueriesStaySmall(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the receive buffer is set on Linux only")
	}
	ts := startServer(t, Config{TCPIdle: time.Minute, TCPWriteTimeout: time.Minute}, testList(), bigZone{})
	ts.query(t, "tcp", "big.slow.", dns.TypeTXT, false)
	c, err := dialFrom(t, "", ts.tcp)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadBuffer(16 << 10)
	c.SetWriteBuffer(16 << 10)                // what the client's kernel takes is small too: the rest is the server's
	burst := pipelined(t, "big.slow.", 20000) // ~620 KB of queries, never reading the answers
	c.SetWriteDeadline(time.Now().Add(3 * time.Second))
	n, err := c.Write(burst)
	if err == nil {
		t.Fatalf("all %d bytes of queries were taken while the client read nothing", n)
	}
	// What was written: the queries the server read (answers blocked at
	// its 64 KiB queue and send buffer), the client's send buffer (32 KiB)
	// and the server's receive buffer.
	const limit = 100 << 10
	t.Logf("the client could write %d KB of queries before its write blocked", n>>10)
	if n > limit {
		t.Errorf("%d KB of queries taken from a client that reads nothing: want at most %d KB (the server's receive buffer must be small)", n>>10, limit>>10)
	}
}
