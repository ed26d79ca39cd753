package service

import (
	"time"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/resolver"
)

// policyOf is the resolver's block policy; cfg.Validate has checked the
// mode with the same parser (resolver/spec).
func policyOf(srv config.Server) (resolver.Policy, error) {
	mode, err := resolver.ParseBlockMode(srv.BlockMode)
	if err != nil {
		return resolver.Policy{}, err
	}
	return resolver.Policy{Mode: mode, TTL: time.Duration(srv.BlockTTL)}, nil
}
