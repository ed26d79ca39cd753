package api

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"go.uber.org/goleak"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scamblock/scamblock/store"
)

// serveEnv switches the test binary into a tiny API server (see TestMain):
// its value is the data directory.
const serveEnv = "SCAMBLOCK_API_TEST_SERVE"

func TestMain(m *testing.M) {
	if dir := os.Getenv(serveEnv); dir != "" {
		if err := serveForTest(dir); err != nil {
			fmt.Fprintln(os.Stderr, "test server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m) // no goroutine outlives the tests
}

// serveForTest opens the store in dir, serves the API on a free loopback
// port and prints that address as its first line of output.
func serveForTest(dir string) error {
	s, err := store.Open(dir, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	return NewServer("", New(Options{Store: s})).Serve(ln)
}

// startServer runs the test binary as an API server on dir and returns its
// base URL and process.
func startServer(t *testing.T, dir string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("test server did not start: %v; stderr: %s", err, stderr.String())
	}
	return "http://" + strings.TrimSpace(line), cmd
}

// TestAcknowledgedSubmissionsSurviveSIGKILL fires 1,000 concurrent
// submissions at a server process, SIGKILLs it part way, and checks on
// restart that every acknowledged submission is present exactly once and
// the database is consistent.
func TestAcknowledgedSubmissionsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes; skipped with -short")
	}
	const total, killAfter = 1000, 300
	dir := t.TempDir()
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := s.CreateToken("loader", store.RoleSubmitter, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	base, cmd := startServer(t, dir)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}}
	c := &Client{Server: base, Token: secret, HTTP: hc}

	var (
		mu     sync.Mutex
		acked  = map[string]uint64{} // indicator → id the server acknowledged
		failed atomic.Int32
		once   sync.Once
		wg     sync.WaitGroup
	)
	killed := make(chan struct{})
	start := time.Now()
	for i := range total {
		wg.Go(func() {
			name := fmt.Sprintf("d%04d.durability-test.com", i)
			res, err := c.Submit(context.Background(), SubmitRequest{Indicator: name, Evidence: []string{"https://evidence.test-data.com/" + name}})
			if err != nil {
				failed.Add(1)
				return
			}
			mu.Lock()
			acked[name] = res.Results[0].Submission.ID
			n := len(acked)
			mu.Unlock()
			if n >= killAfter {
				once.Do(func() {
					_ = cmd.Process.Signal(os.Kill) // SIGKILL: no shutdown, no deferred Close
					close(killed)
				})
			}
		})
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("only %d of %d submissions were acknowledged and the server was never killed", len(acked), total)
	}
	_ = cmd.Wait()
	t.Logf("%d acknowledged, %d failed (killed after %d acks) in %v", len(acked), failed.Load(), killAfter, time.Since(start))
	if len(acked)+int(failed.Load()) != total {
		t.Fatalf("acked %d + failed %d != %d", len(acked), failed.Load(), total)
	}

	// Restart on the same data directory: the database opens cleanly and
	// holds every acknowledged submission exactly once.
	base, cmd2 := startServer(t, dir)
	c = &Client{Server: base, Token: secret, HTTP: hc}
	subs, err := c.Submissions(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, sub := range subs {
		seen[sub.Indicator]++
		if id, ok := acked[sub.Indicator]; ok && id != sub.ID {
			t.Errorf("%s stored as %d, acknowledged as %d", sub.Indicator, sub.ID, id)
		}
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", name, n)
		}
	}
	for name := range acked {
		if seen[name] != 1 {
			t.Errorf("acknowledged %s is missing after the restart", name)
		}
	}
	t.Logf("after restart: %d stored (%d acknowledged, %d committed but unacknowledged)", len(subs), len(acked), len(subs)-len(acked))

	// Stop it, and check the file itself: bbolt's consistency check, and
	// one submit event in the audit log per stored submission.
	_ = cmd2.Process.Kill()
	_ = cmd2.Wait()
	s, err = store.Open(dir, store.Options{LockTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Check(); err != nil {
		t.Fatalf("database inconsistent after SIGKILL: %v", err)
	}
	events, err := s.Audit(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	submits := 0
	for _, e := range events {
		if e.Action == store.ActionSubmit {
			submits++
		}
	}
	if submits != len(subs) {
		t.Fatalf("%d submit events for %d submissions", submits, len(subs))
	}
}
