package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/api"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/service"
	"github.com/scamblock/scamblock/store"
)

// TestCheckAsksTheRunningServer: while a server holds the researcher store,
// `check` asks it, so approved submissions show with their provenance.
func TestCheckAsksTheRunningServer(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sub, _, _ := db.CreateToken("alice", store.RoleSubmitter, "test")
	rev, _, _ := db.CreateToken("bob", store.RoleReviewer, "test")
	db.Close()

	conf := filepath.Join(dir, "scamblock.yaml")
	yaml := fmt.Sprintf("server:\n  data_dir: %s\n  dns_listen: [\"127.0.0.1:0\"]\n  http_listen: 127.0.0.1:0\n  upstreams: [\"udp://127.0.0.1:9\"]\ndefault_feeds: false\nguard:\n  ranking: \"\"\n", dir)
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan service.Ready, 1)
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, cfg, service.Options{Logger: slog.New(slog.DiscardHandler), OnReady: func(r service.Ready) { ready <- r }})
	}()
	t.Cleanup(func() { cancel(); <-done })
	var httpAddr string
	select {
	case r := <-ready:
		httpAddr = r.HTTP.String()
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("server not ready")
	}

	base := "http://" + httpAddr
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := (&api.Client{Server: base, Token: sub, HTTP: c}).Submit(ctx, api.SubmitRequest{Indicator: "new-fake-exchange.com", Category: "scam"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&api.Client{Server: base, Token: rev, HTTP: c}).Approve(ctx, res.Results[0].Submission.ID, api.DecisionRequest{}); err != nil {
		t.Fatal(err)
	}

	// The file named port 0 for the server; point check at the real HTTP port.
	yaml = strings.Replace(yaml, "127.0.0.1:0\n  upstreams", httpAddr+"\n  upstreams", 1)
	if err := os.WriteFile(conf, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "check", "--config", conf, "www.new-fake-exchange.com")
	if code != exitListed || !strings.Contains(out, "by submission:1") || !strings.Contains(out, "submitted by alice, approved by bob") {
		t.Fatalf("exit %d, want 1 naming submission:1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
