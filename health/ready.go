package health

import (
	"fmt"
	"time"
)

// Status is the body of /readyz.
type Status struct {
	Ready   bool     `json:"ready"`
	Reasons []string `json:"reasons,omitempty"` // why not, when not
	Names   int      `json:"names"`             // names in the compiled blocklist
	DNS     []string `json:"dns_listeners"`     // the DNS listeners serving
	// UpstreamAnswered is when an upstream last answered; empty if never.
	UpstreamAnswered string `json:"upstream_answered,omitempty"`
}

// Readiness is what /readyz reports, from what the running service can
// tell: how many names the lists hold, which DNS listeners serve, and
// when an upstream last answered.
type Readiness struct {
	Names            func() int
	DNSListeners     func() []string // nil or empty: not serving
	UpstreamAnswered func() time.Time
	Now              func() time.Time // [time.Now]
	// UpstreamWindow is how recent an upstream answer must be [1 minute].
	UpstreamWindow time.Duration
}

// Check returns the readiness now: ready when the lists hold at least one
// name, a DNS listener serves, and an upstream answered within the window.
func (r Readiness) Check() Status {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	window := r.UpstreamWindow
	if window <= 0 {
		window = time.Minute
	}
	var st Status
	if r.Names != nil {
		st.Names = r.Names()
	}
	if st.Names == 0 {
		st.Reasons = append(st.Reasons, "no lists loaded yet: the blocklist holds no names (feeds still fetching, or none configured)")
	}
	if r.DNSListeners != nil {
		st.DNS = r.DNSListeners()
	}
	if len(st.DNS) == 0 {
		st.Reasons = append(st.Reasons, "the DNS listeners are not serving")
	}
	var last time.Time
	if r.UpstreamAnswered != nil {
		last = r.UpstreamAnswered()
	}
	switch {
	case last.IsZero():
		st.Reasons = append(st.Reasons, "no upstream has answered yet")
	case now().Sub(last) > window:
		st.Reasons = append(st.Reasons, fmt.Sprintf("no upstream answered in the last %s (last at %s)", window, last.UTC().Format(time.RFC3339)))
	}
	if !last.IsZero() {
		st.UpstreamAnswered = last.UTC().Format(time.RFC3339)
	}
	st.Ready = len(st.Reasons) == 0
	return st
}
