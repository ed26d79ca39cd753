package service

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/scamblock/scamblock/config"
)

// When one part fails (here the DNS listener, its port taken), Run stops
// every other part and returns that failure with its advice.
func TestRunStopsEveryPartWhenOneFails(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	cfg := config.Default()
	cfg.DefaultFeeds = false
	cfg.Server.DataDir = t.TempDir()
	cfg.Server.DNSListen = []string{taken.Addr().String()}
	cfg.Server.HTTPListen = "127.0.0.1:0"
	cfg.Server.Upstreams = []string{"udp://127.0.0.1:9"}

	done := make(chan error, 1)
	go func() {
		done <- Run(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler), OnReady: func(Ready) {
			t.Error("OnReady called although the DNS listener failed")
		}})
	}()
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "dns: ") || !strings.Contains(err.Error(), "--dns-listen") {
			t.Fatalf("Run returned %v; want the dns part's failure with advice", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of a part failing")
	}
}
