package contrib

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/internal/dnstest"
)

// TestSyscallsAllowedByTheUnit runs the real binary under strace doing
// what the unit's service does — a follower of another scamblock's zone
// that also publishes one (--rpz-listen), on IPv4 and IPv6, with the HTTP
// API, sd_notify, a NOTIFY and IXFR, an AXFR to a secondary, queries over
// UDP and TCP, SIGHUP and SIGTERM — and checks every system call it made
// against the unit's SystemCallFilter (expanded by systemd-analyze) and
// every socket family against RestrictAddressFamilies. A call the filter
// lacks would fail with EPERM under systemd (SystemCallErrorNumber).
func TestSyscallsAllowedByTheUnit(t *testing.T) {
	sa := systemdAnalyze(t)
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed (apt-get install strace; .ci/run installs it)")
	}
	if out, err := exec.Command(strace, "-f", "-o", os.DevNull, "true").CombinedOutput(); err != nil {
		t.Skipf("strace cannot trace here (ptrace not permitted?): %v %s", err, out)
	}
	u := readUnit(t, unitPath)
	allowed := expandFilter(t, sa, strings.Fields(u.get("Service", "SystemCallFilter")))
	families := strings.Fields(u.get("Service", "RestrictAddressFamilies"))
	bin := binary(t)
	dir := t.TempDir()

	// The primary: not traced.
	list := filepath.Join(dir, "list.txt")
	write(t, list, "traced-scam.com\n")
	primaryRPZ, tracedDNS, tracedRPZ, tracedHTTP := dnstest.FreeAddr(t), dnstest.FreeAddr(t), dnstest.FreeAddr(t), dnstest.FreeAddr(t)
	_, port, _ := net.SplitHostPort(tracedDNS)
	tracedDNS6 := "[::1]:" + port
	primary := start(t, exec.Command(bin, "serve", "--dns-listen", dnstest.FreeAddr(t), "--http-listen", "", "--upstream", "udp://127.0.0.1:9",
		"--data-dir", filepath.Join(dir, "primary"), "--no-default-feeds", "--ranking", "", "--feed", list,
		"--rpz-listen", primaryRPZ, "--rpz-notify", tracedDNS))

	// The traced service: what the unit runs, plus a follower and a zone.
	notify := filepath.Join(dir, "notify")
	sd, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notify, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sd.Close()
	trace := filepath.Join(dir, "trace")
	cmd := exec.Command(strace, "-f", "-qq", "-o", trace, bin, "serve", "--dns-listen", tracedDNS, "--dns-listen", tracedDNS6,
		"--http-listen", tracedHTTP, "--upstream", "udp://127.0.0.1:9", "--data-dir", filepath.Join(dir, "traced"),
		"--follow", primaryRPZ, "--follow-zone", "rpz.scamblock", "--rpz-listen", tracedRPZ, "--ranking", "")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+notify)
	traced := start(t, cmd)
	buf := make([]byte, 512)
	_ = sd.SetReadDeadline(time.Now().Add(30 * time.Second))
	if n, err := sd.Read(buf); err != nil || !strings.HasPrefix(string(buf[:n]), "READY=1") {
		t.Fatalf("no READY=1: %v\n%s", err, traced.out.String())
	}
	waitBlocked(t, tracedDNS, "traced-scam.com", "udp")
	waitBlocked(t, tracedDNS6, "www.traced-scam.com", "tcp")

	write(t, list, "traced-scam.com\nnotified-scam.com\n")
	_ = primary.cmd.Process.Signal(syscall.SIGHUP) // NOTIFY → IXFR in the traced process
	waitBlocked(t, tracedDNS, "notified-scam.com", "udp")
	axfr := new(dns.Msg)
	axfr.SetAxfr("rpz.scamblock.")
	env, err := new(dns.Transfer).In(axfr, tracedRPZ)
	if err != nil {
		t.Errorf("AXFR from the traced process: %v", err)
	} else {
		for e := range env {
			if e.Error != nil {
				t.Errorf("AXFR from the traced process: %v", e.Error)
			}
		}
	}
	if resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + tracedHTTP + "/metrics"); err == nil {
		resp.Body.Close()
	} else {
		t.Errorf("GET /metrics: %v", err)
	}
	// Signals go to the traced process itself: strace, signalled, would
	// detach and leave it running.
	child := tracee(t, traced.cmd.Process.Pid)
	_ = syscall.Kill(child, syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond)
	_ = syscall.Kill(child, syscall.SIGTERM)
	traced.stop(t) // strace exits with its tracee

	calls, fams := readTrace(t, trace)
	var denied []string
	for c := range calls {
		if !allowed[c] {
			denied = append(denied, c)
		}
	}
	slices.Sort(denied)
	if len(denied) > 0 {
		t.Errorf("system calls outside SystemCallFilter=%s: %v", u.get("Service", "SystemCallFilter"), denied)
	}
	for f := range fams {
		if !slices.Contains(families, f) {
			t.Errorf("socket family %s outside RestrictAddressFamilies=%v", f, families)
		}
	}
	t.Logf("%d distinct system calls, socket families %v: all allowed by the unit", len(calls), keys(fams))
}

// expandFilter expands a SystemCallFilter allow list (@groups and names)
// with `systemd-analyze syscall-filter`, which prints every group.
func expandFilter(t *testing.T, sa string, filter []string) map[string]bool {
	t.Helper()
	out, err := exec.Command(sa, "syscall-filter").Output()
	if err != nil {
		t.Fatalf("systemd-analyze syscall-filter: %v", err)
	}
	groups := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "@"):
			cur = strings.TrimSpace(line)
		case cur != "" && strings.HasPrefix(line, " "):
			if f := strings.TrimSpace(line); f != "" && !strings.HasPrefix(f, "#") {
				groups[cur] = append(groups[cur], f)
			}
		default:
			cur = ""
		}
	}
	allowed := map[string]bool{}
	var add func(string)
	add = func(item string) {
		if !strings.HasPrefix(item, "@") {
			allowed[item] = true
			return
		}
		members, ok := groups[item]
		if !ok {
			t.Fatalf("systemd-analyze does not know the group %s", item)
		}
		for _, m := range members {
			if !allowed[m] {
				add(m)
			}
		}
	}
	for _, f := range filter {
		add(f)
	}
	if len(allowed) < 100 {
		t.Fatalf("the filter expanded to %d calls only: systemd-analyze output not understood", len(allowed))
	}
	return allowed
}

var (
	callRe   = regexp.MustCompile(`^\d+\s+([a-z0-9_]+)\(`)
	familyRe = regexp.MustCompile(`socket\((AF_[A-Z0-9]+)`)
)

// readTrace returns the system calls and socket families in strace -f
// output.
func readTrace(t *testing.T, path string) (calls, families map[string]bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	calls, families = map[string]bool{}, map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := callRe.FindStringSubmatch(line); m != nil {
			calls[m[1]] = true
		}
		if m := familyRe.FindStringSubmatch(line); m != nil {
			families[m[1]] = true
		}
	}
	if len(calls) < 20 {
		t.Fatalf("strace output has %d distinct calls only: not understood", len(calls))
	}
	return calls, families
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// tracee is the pid of strace's child.
func tracee(t *testing.T, stracePid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", stracePid, stracePid))
	if err != nil {
		t.Fatalf("the traced process: %v", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		t.Fatalf("strace has children %q; want one", f)
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

type process struct {
	cmd     *exec.Cmd
	out     *dnstest.Output
	stopped bool
}

// start runs cmd until the test ends (SIGTERM, then kill after 10 s).
func start(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, out: &dnstest.Output{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.WaitDelay = 5 * time.Second // a process left holding the output pipe does not hang Wait
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *process) stop(t *testing.T) {
	if p.stopped {
		return
	}
	p.stopped = true
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s: %v\n%s", p.cmd.Args[0], err, p.out.String())
		}
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
		t.Errorf("%s did not stop within 10 s of SIGTERM", p.cmd.Args[0])
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func waitBlocked(t *testing.T, server, name, proto string) {
	t.Helper()
	c := &dns.Client{Net: proto, Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r, _, err := c.Exchange(new(dns.Msg).SetQuestion(dns.Fqdn(name), dns.TypeA), server)
		if err == nil && r.Rcode == dns.RcodeNameError {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not blocked by %s over %s within 20 s", name, server, proto)
}
