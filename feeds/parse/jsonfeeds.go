package parse

import (
	"fmt"
	"io"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/scamblock/scamblock/lists"
)

// Default chain hints of formats whose addresses all belong to one family.
const (
	chainScamSniffer = "eth" // ScamSniffer lists EVM (0x) addresses
	chainPolkadot    = "dot" // polkadot-js lists SS58 addresses (any Substrate network)
)

func (p *parser) chainOr(def string) string {
	if p.opts.Chain != "" {
		return strings.ToLower(p.opts.Chain)
	}
	return def
}

// openJSON starts a document that must begin with a token of kind k
// ('{' or '[').
func openJSON(r io.Reader, k jsontext.Kind, what string) (*jsonStream, error) {
	j := newJSONStream(r)
	if err := j.expect(k, what); err != nil {
		return nil, err
	}
	return j, nil
}

// unsupportedKey rejects and skips the value of an object member the format
// does not define, so that a new key (say, a removal list) is visible in the
// report instead of silently dropped.
func (p *parser) unsupportedKey(j *jsonStream, line int, key string) error {
	p.rep.Reject(line, key, ReasonUnsupported, "unknown key; its value was skipped")
	return j.skip()
}

// metamask parses eth-phishing-detect's config.json: blacklist → Block,
// whitelist → Allow, fuzzylist → KindLookalike with Tolerance = "tolerance"
// (1 when absent). All host entries cover their subtree, as in MetaMask's
// detector, which matches a list entry against the host and its parents.
func (p *parser) metamask(r io.Reader) error {
	j, err := openJSON(r, '{', "MetaMask config.json must be a JSON object")
	if err != nil {
		return err
	}
	tolerance := -1
	type fuzzy struct {
		line int
		s    string
	}
	var pendingFuzzy []fuzzy
	emitFuzzy := func(line int, s string) {
		t, err := splitTarget(s)
		if err != nil {
			p.rep.RejectErr(line, s, err)
			return
		}
		if t.path != "" {
			p.rep.Reject(line, s, ReasonNotHost, "fuzzylist entries must be hosts")
			return
		}
		p.put(lists.Entry{Value: t.host, Kind: lists.KindLookalike, Line: line, Tolerance: max(tolerance, 0)})
	}
	err = j.object(func(line int, key string) error {
		switch key {
		case "version", "tolerance":
			n, v, err := j.wholeNumber()
			if err != nil {
				return err
			}
			if n < 0 {
				p.rep.Reject(j.line(), key, ReasonSyntax, "want a non-negative integer, found "+describe(v))
				return nil
			}
			if key == "tolerance" {
				tolerance = n
			}
			return nil
		case "fuzzylist":
			return j.arrayValue(p.rep, key, func(line int, s string) {
				if rejectEmpty(p.rep, line, s) {
					return
				}
				if tolerance < 0 {
					pendingFuzzy = append(pendingFuzzy, fuzzy{line, s})
					return
				}
				emitFuzzy(line, s)
			})
		case "whitelist", "blacklist":
			action := lists.Block
			if key == "whitelist" {
				action = lists.Allow
			}
			return j.arrayValue(p.rep, key, func(line int, s string) {
				if !rejectEmpty(p.rep, line, s) {
					p.target(line, s, lists.Entry{Action: action})
				}
			})
		}
		return p.unsupportedKey(j, line, key)
	})
	if err != nil {
		return err
	}
	if tolerance < 0 {
		tolerance = 1 // MetaMask's own default
	}
	for _, f := range pendingFuzzy {
		emitFuzzy(f.line, f.s)
	}
	return p.endJSON(j)
}

// polkadot parses polkadot-js/phishing all.json. allow → Allow + Exact: the
// entries are hosting-platform suffixes (vercel.app) that must not be
// blocked themselves while their listed subdomains in deny still block; the
// one wildcard "*.fleek.co" becomes an exact allow of fleek.co too. deny →
// Block (subtree). denySub "host/path" → KindURL.
func (p *parser) polkadot(r io.Reader) error {
	j, err := openJSON(r, '{', "polkadot-js all.json must be a JSON object")
	if err != nil {
		return err
	}
	err = j.object(func(line int, key string) error {
		switch key {
		case "allow":
			return j.arrayValue(p.rep, key, func(line int, s string) {
				if !rejectEmpty(p.rep, line, s) {
					p.target(line, s, lists.Entry{Action: lists.Allow, Exact: true})
				}
			})
		case "deny":
			return j.arrayValue(p.rep, key, func(line int, s string) {
				if !rejectEmpty(p.rep, line, s) {
					p.target(line, s, lists.Entry{})
				}
			})
		case "denySub":
			return j.arrayValue(p.rep, key, func(line int, s string) {
				if rejectEmpty(p.rep, line, s) {
					return
				}
				t, err := splitTarget(s)
				if err != nil {
					p.rep.RejectErr(line, s, err)
					return
				}
				if t.path == "" {
					// denySub without a path would block a whole platform: keep it a URL-less reject.
					p.rep.Reject(line, s, ReasonSyntax, "denySub entry without a path")
					return
				}
				p.emitTarget(line, t, lists.Entry{})
			})
		}
		return p.unsupportedKey(j, line, key)
	})
	if err != nil {
		return err
	}
	return p.endJSON(j)
}

// linkOf returns the indicator a label names (a host, or host/path), or
// nil when the label is free text.
func linkOf(label string) []string {
	t, err := splitTarget(label)
	if err != nil {
		return nil
	}
	return []string{t.host + t.path}
}

// polkadotAddress parses polkadot-js address.json: {label: [SS58, ...]} →
// KindAddress entries (Chain "dot" unless Options.Chain), Links = [label]
// when the label is a host, none when it is free text.
func (p *parser) polkadotAddress(r io.Reader) error {
	j, err := openJSON(r, '{', "polkadot-js address.json must be a JSON object")
	if err != nil {
		return err
	}
	chain := p.chainOr(chainPolkadot)
	err = j.object(func(line int, key string) error {
		links := linkOf(key)
		return j.arrayValue(p.rep, key, func(line int, s string) {
			p.address(line, s, chain, links, lists.Entry{})
		})
	})
	if err != nil {
		return err
	}
	return p.endJSON(j)
}

// hostArray parses a JSON array of hosts or URLs (ScamSniffer domains.json).
func (p *parser) hostArray(r io.Reader) error {
	j, err := openJSON(r, '[', "want a JSON array of host names")
	if err != nil {
		return err
	}
	if err := j.stringArray(p.rep, func(line int, s string) {
		if !rejectEmpty(p.rep, line, s) {
			p.target(line, s, lists.Entry{})
		}
	}); err != nil {
		return err
	}
	return p.endJSON(j)
}

// addressArray parses a JSON array of wallet addresses (ScamSniffer
// address.json, OFAC sanctioned_addresses_*.json).
func (p *parser) addressArray(r io.Reader) error {
	j, err := openJSON(r, '[', "want a JSON array of addresses")
	if err != nil {
		return err
	}
	chain := strings.ToLower(p.opts.Chain)
	if err := j.stringArray(p.rep, func(line int, s string) {
		p.address(line, s, chain, nil, lists.Entry{})
	}); err != nil {
		return err
	}
	return p.endJSON(j)
}

// scamSnifferCombined parses combined.json: {host: ["0x...", ...]} → the
// host as a domain entry and each address as KindAddress (Chain "eth")
// with Links [host]. A key that is not a host (the real file has "") is
// rejected; its addresses are still emitted, without links.
func (p *parser) scamSnifferCombined(r io.Reader) error {
	j, err := openJSON(r, '{', "ScamSniffer combined.json must be a JSON object")
	if err != nil {
		return err
	}
	chain := p.chainOr(chainScamSniffer)
	err = j.object(func(line int, key string) error {
		var links []string
		if !rejectEmpty(p.rep, line, key) {
			t, err := splitTarget(key)
			if err != nil {
				p.rep.RejectErr(line, key, err)
			} else {
				p.emitTarget(line, t, lists.Entry{})
				links = []string{t.host + t.path}
			}
		}
		return j.arrayValue(p.rep, key, func(line int, s string) {
			p.address(line, s, chain, links, lists.Entry{})
		})
	})
	if err != nil {
		return err
	}
	return p.endJSON(j)
}

// scamSnifferArchive parses a daily archive/YYYY-MM-DD.json delta:
// {"domains": [...], "address": [...]}. Every entry is an addition (Block);
// ScamSniffer's archive has no removal format: a site taken off the list
// simply disappears from domains.json, so removals are seen by re-reading
// the full list, not through deltas. An unknown key (a future "removed"
// list, say) is reported as unsupported-rule rather than read as additions.
func (p *parser) scamSnifferArchive(r io.Reader) error {
	j, err := openJSON(r, '{', "ScamSniffer archive file must be a JSON object")
	if err != nil {
		return err
	}
	chain := p.chainOr(chainScamSniffer)
	err = j.object(func(line int, key string) error {
		switch key {
		case "domains":
			return j.arrayValue(p.rep, key, func(line int, s string) {
				if !rejectEmpty(p.rep, line, s) {
					p.target(line, s, lists.Entry{})
				}
			})
		case "address":
			return j.arrayValue(p.rep, key, func(line int, s string) {
				p.address(line, s, chain, nil, lists.Entry{})
			})
		}
		return p.unsupportedKey(j, line, key)
	})
	if err != nil {
		return err
	}
	return p.endJSON(j)
}

// spmediaJSON parses detected_urls.json: {"metadata": {...},
// "detected_urls": [...]}. metadata is skipped (its total_count is stale).
func (p *parser) spmediaJSON(r io.Reader) error {
	j, err := openJSON(r, '{', "spmedia detected_urls.json must be a JSON object")
	if err != nil {
		return err
	}
	seen := false
	err = j.object(func(line int, key string) error {
		switch key {
		case "metadata":
			return j.skip()
		case "detected_urls":
			seen = true
			return j.arrayValue(p.rep, key, func(line int, s string) {
				if !rejectEmpty(p.rep, line, s) {
					p.target(line, s, lists.Entry{})
				}
			})
		}
		return p.unsupportedKey(j, line, key)
	})
	if err != nil {
		return err
	}
	if !seen {
		return fmt.Errorf("no \"detected_urls\" array in the document")
	}
	return p.endJSON(j)
}

// endJSON records the physical line count and checks that the document ended.
func (p *parser) endJSON(j *jsonStream) error {
	err := j.end()
	p.rep.Lines = j.line()
	return err
}
