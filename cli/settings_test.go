package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/store"
)

// lockedBuffer collects what the server logs from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freeAddr returns a loopback address whose port was free for both UDP and
// TCP a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		pc, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			pc.Close()
			return addr
		}
	}
	t.Fatal("no free port")
	return ""
}

// TestServeUsesTheWinningSettings starts the real `serve` with a YAML file,
// SCAMBLOCK_* variables and flags that disagree, and checks on the wire
// that each setting took the value of the strongest source: flags over the
// environment over the file over the defaults.
func TestServeUsesTheWinningSettings(t *testing.T) {
	dir := t.TempDir()
	feed := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(feed, []byte("evil-exchange.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fileDNS, envDNS, fileHTTP := freeAddr(t), freeAddr(t), freeAddr(t)
	conf := filepath.Join(dir, "scamblock.yaml")
	yaml := fmt.Sprintf("server:\n  dns_listen: [%q]\n  http_listen: %s\n  block_mode: refused\n  upstreams: [\"udp://127.0.0.1:9\"]\n"+
		"  data_dir: %s\n  log_level: debug\n  memory_limit: 2GiB\ndefault_feeds: false\nguard:\n  ranking: \"\"\nfeeds:\n  - name: mine\n    url: %s\n", fileDNS, fileHTTP, dir, feed)
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SCAMBLOCK_CONFIG", conf)
	t.Setenv("SCAMBLOCK_DNS_LISTEN", envDNS)   // beats the file
	t.Setenv("SCAMBLOCK_BLOCK_MODE", "nodata") // beats the file, loses to the flag
	t.Setenv("SCAMBLOCK_LOG_LEVEL", "INFO")    // beats the file's debug
	prevLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prevLimit) })

	var out, logs lockedBuffer
	app := App()
	app.Writer, app.ErrWriter = &out, &logs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.RunContext(ctx, []string{"scamblock", "serve", "--block-mode", "ip:192.0.2.7", "--memory-limit", "1GiB"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v\n%s", err, logs.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})

	// The flag's block mode, on the environment's listener, for the file's feed.
	var answer *dns.Msg
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		q := new(dns.Msg).SetQuestion("www.evil-exchange.com.", dns.TypeA)
		r, _, err := (&dns.Client{Timeout: 500 * time.Millisecond}).Exchange(q, envDNS)
		if err == nil && len(r.Answer) == 1 {
			answer = r
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if answer == nil {
		t.Fatalf("no block answer on %s (SCAMBLOCK_DNS_LISTEN)\n%s", envDNS, logs.String())
	}
	if a, ok := answer.Answer[0].(*dns.A); !ok || a.A.String() != "192.0.2.7" {
		t.Errorf("answer %v, want A 192.0.2.7 (--block-mode ip:192.0.2.7)", answer.Answer[0])
	}
	// The file's listener lost to the environment.
	if _, _, err := (&dns.Client{Net: "tcp", Timeout: 300 * time.Millisecond}).Exchange(new(dns.Msg).SetQuestion("example.org.", dns.TypeA), fileDNS); err == nil {
		t.Errorf("something answers on the file's dns_listen %s, which SCAMBLOCK_DNS_LISTEN replaced", fileDNS)
	}
	// The file's HTTP listener, which nothing overrides.
	res, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + fileHTTP + "/v1/feeds")
	if err != nil {
		t.Fatalf("HTTP API on the file's http_listen: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/feeds: %s", res.Status)
	}
	// The flag's memory limit, applied and logged; the environment's log level.
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("runtime memory limit %d, want 1GiB (--memory-limit)", got)
	}
	log := logs.String()
	if !strings.Contains(log, `msg="memory limit" limit=1GiB source=setting`) {
		t.Errorf("the memory limit is not logged with its source:\n%s", log)
	}
	if strings.Contains(log, "level=DEBUG") {
		t.Errorf("debug lines logged although SCAMBLOCK_LOG_LEVEL=INFO beats the file's debug:\n%s", log)
	}
}

// TestBadSettingsNameTheirSource: a bad value is blamed on the variable,
// flag or file line that gave it, and is a usage error.
func TestBadSettingsNameTheirSource(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "scamblock.yaml")
	if err := os.WriteFile(conf, []byte("server:\n  log_level: info\n  block_mode: \"ip:192.0.2.1,192.0.2.2\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	tests := []struct {
		env  string
		args []string
		want string
	}{
		{"", []string{"serve", "--config", conf}, conf + `:3: server.block_mode: block mode "ip:192.0.2.1,192.0.2.2": "192.0.2.2" is not an IPv6 address`},
		{"ip:192.0.2.1,192.0.2.2", []string{"serve", "--data-dir", data}, `SCAMBLOCK_BLOCK_MODE: block mode "ip:192.0.2.1,192.0.2.2": "192.0.2.2" is not an IPv6 address`},
		{"", []string{"serve", "--block-mode", "ip:192.0.2.1,192.0.2.2"}, `--block-mode: block mode "ip:192.0.2.1,192.0.2.2": "192.0.2.2" is not an IPv6 address`},
		{"sinkhole", []string{"check", "--data-dir", data, "--no-default-feeds", "example.org"}, "SCAMBLOCK_BLOCK_MODE: block mode \"sinkhole\": unknown"},
		{"", []string{"feeds", "--data-dir", data, "--feed", "mine=ftp://example.net/x.txt"}, `--feed "mine=ftp://example.net/x.txt": url`},
	}
	for _, tt := range tests {
		if tt.env != "" {
			t.Setenv("SCAMBLOCK_BLOCK_MODE", tt.env)
		} else {
			os.Unsetenv("SCAMBLOCK_BLOCK_MODE")
		}
		_, errOut, code := run(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v (env %q): exit %d, stderr %q; want exit 2 and %q", tt.args, tt.env, code, errOut, tt.want)
		}
	}
}

// TestTokenReadsTheDataDirFromTheConfig: token shares the loading of every
// other command, so --config (or SCAMBLOCK_DATA_DIR) finds the database.
func TestTokenReadsTheDataDirFromTheConfig(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "state")
	conf := filepath.Join(dir, "scamblock.yaml")
	if err := os.WriteFile(conf, []byte("server:\n  data_dir: "+data+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "token", "create", "--config", conf, "--role", "admin", "--name", "alice"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	s, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	toks, err := s.Tokens()
	s.Close()
	if err != nil || len(toks) != 1 || toks[0].Name != "alice" {
		t.Fatalf("tokens in %s: %+v %v", data, toks, err)
	}
	t.Setenv("SCAMBLOCK_DATA_DIR", data)
	if out, errOut, code := run(t, "token", "list"); code != 0 || !strings.Contains(out, "alice") {
		t.Fatalf("token list with SCAMBLOCK_DATA_DIR: exit %d %s %s", code, out, errOut)
	}
}

// TestHelpShowsEverySetting: serve --help lists every setting's flag and
// environment variable; check and feeds those of the lists.
func TestHelpShowsEverySetting(t *testing.T) {
	help := map[string]string{}
	for _, cmd := range []string{"serve", "check", "feeds", "token create"} {
		out, _, _ := run(t, append(strings.Fields(cmd), "--help")...)
		help[cmd] = out
	}
	for _, s := range config.Settings() {
		if s.Flag == "" {
			continue
		}
		for cmd, scope := range map[string]config.Scope{"serve": config.ScopeServe, "check": config.ScopeLists, "feeds": config.ScopeLists, "token create": config.ScopeData} {
			shown := strings.Contains(help[cmd], "--"+s.Flag+" ") && strings.Contains(help[cmd], "$"+s.Env[0])
			if shown != s.Scope.On(scope) {
				t.Errorf("%s --help: --%s shown %v, want %v", cmd, s.Flag, shown, s.Scope.On(scope))
			}
		}
	}
}

// TestReadmeFlagsExist: every flag README.md's serve table lists is a flag
// of serve (the full list is docs/configuration.md, generated).
func TestReadmeFlagsExist(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## `serve` flags")
	if start < 0 {
		t.Fatal("README.md has no `serve` flags section")
	}
	section = section[start:]
	if end := strings.Index(section[3:], "\n## "); end > 0 {
		section = section[:end+3]
	}
	if !strings.Contains(section, "docs/configuration.md") {
		t.Error("the serve flags section should point to docs/configuration.md")
	}
	flags := map[string]bool{}
	for _, f := range serveCommand().Flags {
		for _, n := range f.Names() {
			flags[n] = true
		}
	}
	listed := regexp.MustCompile(`(?m)^\|[^|]*`).FindAllString(section, -1)
	seen := 0
	for _, row := range listed {
		for _, m := range regexp.MustCompile(`--([a-z][a-z0-9-]*)`).FindAllStringSubmatch(row, -1) {
			seen++
			if !flags[m[1]] {
				t.Errorf("README.md lists --%s, which serve does not have", m[1])
			}
		}
	}
	if seen < 5 {
		t.Errorf("found only %d flags in README.md's serve table", seen)
	}
}
