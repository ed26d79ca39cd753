package resolver

import (
	"fmt"
	"time"

	"github.com/scamblock/scamblock/resolver/spec"
)

// DefaultBlockTTL is the TTL of block answers and the negative-caching time
// (SOA minimum, RFC 2308) they ask clients for.
const DefaultBlockTTL = 300 * time.Second

// BlockKind, BlockMode and ParseBlockMode live in resolver/spec, a leaf
// package, so that config can check a block mode without importing the
// resolver; these names keep the resolver's API.
type (
	BlockKind = spec.BlockKind
	BlockMode = spec.BlockMode
)

const (
	BlockNXDomain = spec.BlockNXDomain
	BlockNoData   = spec.BlockNoData
	BlockNull     = spec.BlockNull
	BlockRefused  = spec.BlockRefused
	BlockIP       = spec.BlockIP
)

// ParseBlockMode parses the --block-mode flag; see spec.ParseBlockMode.
func ParseBlockMode(s string) (BlockMode, error) { return spec.ParseBlockMode(s) }

// Policy is what the server does with a blocked name. It is swapped as a
// whole with Server.SetPolicy on reload.
type Policy struct {
	Mode BlockMode
	TTL  time.Duration // answer TTL and SOA minimum; 0 means DefaultBlockTTL
}

func (p Policy) withDefaults() (Policy, error) {
	if err := p.Mode.Validate(); err != nil {
		return p, err
	}
	if p.TTL == 0 {
		p.TTL = DefaultBlockTTL
	}
	if p.TTL < 0 || p.TTL > 7*24*time.Hour {
		return p, fmt.Errorf("block TTL %v: want between 1s and 168h (e.g. 5m)", p.TTL)
	}
	if p.TTL < time.Second {
		p.TTL = time.Second
	}
	return p, nil
}
