package service

import (
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/resolver"
	"github.com/scamblock/scamblock/wallet/hashbl"
)

// Validate checks the parts of cfg that a person may have mistyped (block
// mode, upstreams, listen addresses, HashBL zone), so the CLI can report
// them as usage errors before anything starts.
func Validate(cfg *config.Config) error {
	srv := cfg.Server
	var errs []error
	if _, err := policyOf(srv); err != nil {
		errs = append(errs, fmt.Errorf("--block-mode: %w", err))
	}
	for _, u := range srv.Upstreams {
		if _, err := resolver.ParseUpstream(u); err != nil {
			errs = append(errs, fmt.Errorf("--upstream: %w", err))
		}
	}
	if len(srv.Upstreams) == 0 {
		errs = append(errs, errors.New("--upstream: none given; e.g. --upstream tls://dns.quad9.net@9.9.9.9:853"))
	}
	for _, l := range append(append([]string{}, srv.DNSListen...), srv.HTTPListen) {
		if l == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(l); err != nil {
			errs = append(errs, fmt.Errorf("listen address %q: %w; write HOST:PORT, e.g. 127.0.0.1:5335", l, err))
		}
	}
	if srv.HashBLZone != "" {
		if _, err := hashbl.New(hashbl.Config{Zone: srv.HashBLZone}); err != nil {
			errs = append(errs, fmt.Errorf("--hashbl-zone: %w", err))
		}
	}
	if srv.RPZ.Listen != "" {
		if _, err := newRPZFollower(srv.RPZ, slog.New(slog.DiscardHandler)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func policyOf(srv config.Server) (resolver.Policy, error) {
	mode, err := resolver.ParseBlockMode(srv.BlockMode)
	if err != nil {
		return resolver.Policy{}, err
	}
	return resolver.Policy{Mode: mode, TTL: srv.BlockTTL}, nil
}
