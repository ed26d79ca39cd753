package web_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/service"
	"github.com/scamblock/scamblock/store"
)

// browser is the one headless Chromium every browser test of this binary
// shares (a tab each); nil with skipReason set when there is none.
var (
	browser    context.Context
	skipReason string
)

func TestMain(m *testing.M) {
	stop := startBrowser()
	code := m.Run()
	stop()
	os.Exit(code)
}

func startBrowser() func() {
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		skipReason = "no Chromium on this machine (apt-get install chromium); browser tests skipped"
		return func() {}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1000, 760),
		chromedp.Flag("disable-dev-shm-usage", true),
		// The test feed's names (.top) reach the test server, as the DNS
		// answer of --block-mode ip:ADDR would send them; every other name
		// (Chromium's own services) fails at once: only loopback is a target.
		chromedp.Flag("host-resolver-rules", "MAP *.top 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		skipReason = fmt.Sprintf("Chromium at %s does not start (%v); browser tests skipped", path, err)
		return func() {}
	}
	browser = bctx
	return func() {
		cancelBrowser()
		cancelAlloc()
	}
}

// tab opens a new tab of the shared browser for the test (skipping the
// test when there is no browser), closed when the test ends.
func tab(t *testing.T) context.Context {
	t.Helper()
	if browser == nil {
		t.Skip(skipReason)
	}
	// Each tab its own browser context: its own cookies, so two people can
	// be signed in at once.
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// screenshot writes the tab's viewport as a PNG to $SCAMBLOCK_SCREENSHOTS
// (docs/img in the README) when that is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SCAMBLOCK_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := get(t, ctx, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Names the test feed lists.
const (
	listedName = "bitcoin-doubler-invest.top"
	otherName  = "metamask-wallet-restore.xyz"
	falseName  = "grandmas-bakery.shop" // listed by mistake; an admin allows it
	cleanName  = "example.org"
)

// server is a real scamblock serve on loopback.
type server struct {
	url, dns string
	dataDir  string
	// tokens by role: "admin", "reviewer", "submitter" (and "reviewer2")
	tokens map[string]string
}

// startServer runs the real service with a small feed until the test ends.
func startServer(t *testing.T) server {
	t.Helper()
	dir := t.TempDir()
	feed := filepath.Join(dir, "scams.txt")
	body := strings.Join([]string{
		"# test feed", "0.0.0.0 " + listedName, "0.0.0.0 " + otherName, "0.0.0.0 " + falseName, ""}, "\n")
	if err := os.WriteFile(feed, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DefaultFeeds = false
	cfg.Guard.Ranking = "" // only loopback is a target: the embedded Tranco snapshot guards
	cfg.Feeds = []config.Feed{{Name: "testfeed", URL: feed, Enabled: true, Category: "scam"}}
	cfg.Server.DNSListen = []string{"127.0.0.1:0"}
	cfg.Server.HTTPListen = "127.0.0.1:0"
	cfg.Server.Upstreams = []string{"udp://" + startUpstream(t)}
	cfg.Server.DataDir = filepath.Join(dir, "data")
	tokens := makeTokens(t, cfg.Server.DataDir)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan service.Ready, 1)
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, cfg, service.Options{Logger: slog.New(slog.DiscardHandler), OnReady: func(r service.Ready) { ready <- r }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("service did not stop within 10 s")
		}
	})
	select {
	case r := <-ready:
		return server{url: "http://" + r.HTTP.String(), dns: r.DNS[0].String(), dataDir: cfg.Server.DataDir, tokens: tokens}
	case err := <-done:
		t.Fatalf("service failed to start: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("service not ready within 15 s")
	}
	return server{}
}

// startUpstream is a small real DNS server on loopback: every name has A
// 192.0.2.1.
func startUpstream(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if q := r.Question[0]; q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
				A: net.IPv4(192, 0, 2, 1)})
		}
		_ = w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: h}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// resolve asks the server for name's A record and returns the rcode.
func resolve(t *testing.T, srv server, name string) int {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeA)
	c := &dns.Client{Timeout: 3 * time.Second}
	r, _, err := c.Exchange(m, srv.dns)
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	return r.Rcode
}

// waitText waits until the element at sel contains want. It asks again
// every 100 ms and rides over a navigation in progress (the page's context
// is replaced while a form is sent).
func waitText(sel, want string) chromedp.Action[chromedp.Void] {
	expr := fmt.Sprintf(`(document.querySelector(%q)||{textContent:""}).textContent`, sel)
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(15 * time.Second)
		last := ""
		for {
			text, err := chromedp.Evaluate[string](expr)(ctx, tg)
			if err == nil {
				if strings.Contains(text, want) {
					return chromedp.Void{}, nil
				}
				last = text
			}
			if time.Now().After(deadline) {
				return chromedp.Void{}, fmt.Errorf("%s: %q not seen within 15 s; last text %q (last error %v)", sel, want, last, err)
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// makeTokens creates an admin, two reviewers and a submitter in the store
// before the server opens it (bbolt admits one process).
func makeTokens(t *testing.T, dataDir string) map[string]string {
	t.Helper()
	st, err := store.Open(dataDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := map[string]string{}
	for name, role := range map[string]store.Role{"admin": store.RoleAdmin, "reviewer": store.RoleReviewer,
		"reviewer2": store.RoleReviewer, "submitter": store.RoleSubmitter} {
		secret, _, err := st.CreateToken(name, role, "test")
		if err != nil {
			t.Fatal(err)
		}
		out[name] = secret
	}
	return out
}

// signIn signs the tab in with the token of who, using the keyboard.
func signIn(t *testing.T, ctx context.Context, srv server, who string) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(srv.url+"/signin"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), srv.tokens[who]),
		chromedp.KeyEvent(kb.Enter),
		waitText("nav", "Sign out "+who),
	)
}
