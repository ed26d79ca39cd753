package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// server is the scamblock process under test.
type server struct {
	cmd       *exec.Cmd
	dns, http string
	done      chan error
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startServer(ctx context.Context, bin, dir, feed, upstream string) (*server, error) {
	dp, err := freePort()
	if err != nil {
		return nil, err
	}
	hp, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &server{dns: fmt.Sprintf("127.0.0.1:%d", dp), http: fmt.Sprintf("127.0.0.1:%d", hp), done: make(chan error, 1)}
	logf, err := os.Create(filepath.Join(dir, "scamblock.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve", "--data-dir", filepath.Join(dir, "data"), "--no-default-feeds", "--ranking", "", "--feed", "soak="+feed,
		"--dns-listen", s.dns, "--http-listen", s.http, "--upstream", "udp://"+upstream, "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.done <- s.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c := &dns.Client{Timeout: 500 * time.Millisecond}
		q := new(dns.Msg)
		q.SetQuestion("probe.soak.", dns.TypeA)
		if r, _, err := c.Exchange(q, s.dns); err == nil && r.Rcode == dns.RcodeSuccess {
			if _, err := s.metrics(); err == nil {
				return s, nil
			}
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("scamblock exited at start: %v (see %s)", err, filepath.Join(dir, "scamblock.log"))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("scamblock did not answer within 60 s")
		}
	}
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func (s *server) hup() error { return s.cmd.Process.Signal(syscall.SIGHUP) }

// rss returns the resident set of the process in bytes.
func (s *server) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// metrics scrapes /metrics into name{labels} -> value.
func (s *server) metrics() (map[string]float64, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + s.http + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("/metrics: %s", resp.Status)
	}
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err == nil {
			m[l[:i]] += v
		}
	}
	return m, sc.Err()
}

// sum adds the series of m whose name (before any label) is name.
func sum(m map[string]float64, name string) float64 {
	t := 0.0
	for k, v := range m {
		if k == name || strings.HasPrefix(k, name+"{") {
			t += v
		}
	}
	return t
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// writeFeed writes n listed names; generation g changes a tenth of them.
func writeFeed(path string, n, g int) error {
	var b strings.Builder
	for i := range n {
		if i%10 == 0 {
			fmt.Fprintf(&b, "scam%d-g%d.soak-blocked.example\n", i, g)
		} else {
			fmt.Fprintf(&b, "scam%d.soak-blocked.example\n", i)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// udpDrops adds the kernel's drop counters (receive buffer full) of the
// UDP sockets bound to one of ports, from /proc/net/udp and udp6.
func udpDrops(ports ...int) int64 {
	want := map[int]bool{}
	for _, p := range ports {
		want[p] = true
	}
	var total int64
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(l)
			if len(fs) < 13 {
				continue
			}
			i := strings.LastIndexByte(fs[1], ':')
			port, err := strconv.ParseInt(fs[1][i+1:], 16, 32)
			if err != nil || !want[int(port)] {
				continue
			}
			d, _ := strconv.ParseInt(fs[len(fs)-1], 10, 64)
			total += d
		}
	}
	return total
}

// cpuSeconds is the CPU time (user + system) pid has used.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from 3 (state) on
	if len(fs) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(fs[11], 64)
	k, _ := strconv.ParseFloat(fs[12], 64)
	return (u + k) / 100 // USER_HZ
}

// loadAvg is the 1-minute load average.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if fs := strings.Fields(string(b)); len(fs) > 0 {
		return fs[0]
	}
	return "?"
}

// port is the port of a HOST:PORT address.
func port(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// runqueueWait is the time the threads of pid have spent runnable but
// waiting for a CPU (/proc/PID/task/*/schedstat, second field, ns): how
// much the machine, not the process, held it back.
func runqueueWait(pid int) float64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var ns float64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if fs := strings.Fields(string(b)); len(fs) >= 2 {
			v, _ := strconv.ParseFloat(fs[1], 64)
			ns += v
		}
	}
	return ns / 1e9
}

// kernelTCPMem is the memory the kernel holds in TCP socket buffers, for
// the whole machine (/proc/net/sockstat "TCP: ... mem PAGES"): where
// answers a client does not read wait once written.
func kernelTCPMem() int64 {
	b, _ := os.ReadFile("/proc/net/sockstat")
	for _, l := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(l, "TCP:") {
			continue
		}
		fs := strings.Fields(l)
		for i := 1; i+1 < len(fs); i += 2 {
			if fs[i] == "mem" {
				pages, _ := strconv.ParseInt(fs[i+1], 10, 64)
				return pages * int64(os.Getpagesize())
			}
		}
	}
	return 0
}
