package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/rpz"
)

// rpzPublisher serves the compiled matcher as an RPZ zone (--rpz-listen)
// and keeps the zone in step with it: the primary side of zone transfer.
// (The secondary side, following another primary's zone, is follower.go.)
// Building
// a snapshot of a million names takes about a second, so it runs on its own
// goroutine: rebuilds only drop the newest matcher in a one-slot mailbox
// (a newer one replaces one not yet taken) and never wait for it.
type rpzPublisher struct {
	srv  *rpz.Server
	log  *slog.Logger
	next chan *lists.Matcher
}

func newRPZPublisher(c config.RPZ, log *slog.Logger) (*rpzPublisher, error) {
	cfg := rpz.Config{Listen: c.Listen, Zone: rpz.ZoneOptions{Origin: c.Zone}, Notify: c.Notify, Logger: log}
	if len(c.AllowTransfer) > 0 {
		cfg.AllowTransfer = make([]netip.Prefix, 0, len(c.AllowTransfer))
		for _, p := range c.AllowTransfer {
			pfx, err := netip.ParsePrefix(p)
			if err != nil {
				return nil, fmt.Errorf("--rpz-allow-transfer %q: %w (write a CIDR prefix such as 192.0.2.0/24)", p, err)
			}
			cfg.AllowTransfer = append(cfg.AllowTransfer, pfx)
		}
	}
	if c.TSIGName != "" || c.TSIGSecret != "" {
		if c.TSIGName == "" || c.TSIGSecret == "" {
			return nil, fmt.Errorf("TSIG needs both --rpz-tsig-name and --rpz-tsig-secret (base64)")
		}
		cfg.TSIG = &rpz.TSIGKey{Name: c.TSIGName, Secret: c.TSIGSecret}
	}
	srv, err := rpz.NewServer(cfg)
	if err != nil {
		return nil, fmt.Errorf("rpz: %w", err)
	}
	return &rpzPublisher{srv: srv, log: log, next: make(chan *lists.Matcher, 1)}, nil
}

// offer hands the publisher the newest matcher without waiting.
func (f *rpzPublisher) offer(m *lists.Matcher) {
	for {
		select {
		case f.next <- m:
			return
		default:
		}
		select {
		case <-f.next: // drop the older one not taken yet
		default:
		}
	}
}

// run serves transfers and applies matchers until ctx ends.
func (f *rpzPublisher) run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- f.srv.Run(ctx) }()
	for {
		select {
		case <-ctx.Done():
			return <-done
		case err := <-done:
			return err
		case m := <-f.next:
			res, err := f.srv.Update(m)
			if err != nil {
				f.log.Error("rpz zone not updated; secondaries keep the previous version", "err", err)
				continue
			}
			if res.Changed {
				f.log.Info("rpz zone updated", "serial", res.Serial, "records", res.Records, "added", res.Added, "deleted", res.Deleted, "took", res.Build)
			}
		}
	}
}
