// Package health probes a running scamblock the way Docker's HEALTHCHECK
// and systemd would: a real DNS query to its DNS listener, and its HTTP
// /readyz. It says why a check failed in words an operator can act on.
// The readiness itself (what /readyz reports) is Readiness.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Target is what Probe checks; an empty field is not checked.
type Target struct {
	DNS  string // HOST:PORT of a DNS listener
	Name string // the name asked for [". NS"]
	HTTP string // base URL of the HTTP listener; /readyz is asked
}

// Probe asks t.DNS for t.Name (type NS) over UDP and then t.HTTP's /readyz.
// It returns nil when the DNS server answered (any rcode but SERVFAIL or
// REFUSED: a block answer is an answer) and /readyz said ready; otherwise
// an error saying what failed.
func Probe(ctx context.Context, t Target) error {
	if t.DNS == "" && t.HTTP == "" {
		return errors.New("nothing to check: give a DNS listener (--dns) or an HTTP URL (--http)")
	}
	if t.DNS != "" {
		if err := probeDNS(ctx, t.DNS, t.Name); err != nil {
			return err
		}
	}
	if t.HTTP != "" {
		if err := probeReady(ctx, t.HTTP); err != nil {
			return err
		}
	}
	return nil
}

func probeDNS(ctx context.Context, addr, name string) error {
	if name == "" {
		name = "."
	}
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), dns.TypeNS)
	q.SetEdns0(1232, false)
	c := &dns.Client{Net: "udp", Timeout: 5 * time.Second}
	r, _, err := c.ExchangeContext(ctx, q, addr)
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, q, addr)
	}
	if err != nil {
		return fmt.Errorf("dns %s: no answer to %s NS: %w (is scamblock running and listening there?)", addr, name, err)
	}
	why := ""
	for _, o := range optionsOf(r) {
		if e, ok := o.(*dns.EDNS0_EDE); ok {
			why = fmt.Sprintf(" (EDE %d %s: %s)", e.InfoCode, dns.ExtendedErrorCodeToString[e.InfoCode], e.ExtraText)
		}
	}
	switch r.Rcode {
	case dns.RcodeServerFailure:
		return fmt.Errorf("dns %s: SERVFAIL for %s NS%s: no upstream answered (check --upstream and the network)", addr, name, why)
	case dns.RcodeRefused:
		return fmt.Errorf("dns %s: REFUSED for %s NS%s: is this host inside --allow-net?", addr, name, why)
	}
	return nil
}

func optionsOf(m *dns.Msg) []dns.EDNS0 {
	if opt := m.IsEdns0(); opt != nil {
		return opt.Option
	}
	return nil
}

func probeReady(ctx context.Context, base string) error {
	u := strings.TrimSuffix(base, "/") + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("http %s: %w (give a URL such as http://127.0.0.1:8335)", base, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("http %s: %w (is the HTTP listener on? --http-listen)", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var st Status
	if json.Unmarshal(body, &st) == nil && len(st.Reasons) > 0 {
		return fmt.Errorf("http %s: not ready: %s", u, strings.Join(st.Reasons, "; "))
	}
	return fmt.Errorf("http %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
}

// hostFor turns a listen address into one to connect to: a wildcard host
// becomes the loopback address of its family.
func hostFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// Local returns the address to reach a listener bound to listen from the
// same host (0.0.0.0 → 127.0.0.1, [::] → [::1]).
func Local(listen string) string { return hostFor(listen) }
