package lists

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// SourceAllow is the Hit.Source of entries that come from CompileOptions.Allow.
const SourceAllow = "--allow"

// CompileOptions says how Compile merges Sets into a Matcher.
type CompileOptions struct {
	// Allow holds user --allow names: the name and its whole subtree are
	// never blocked; it wins over every Block entry, however specific.
	Allow []string
	// Guard refuses Block entries for public suffixes, platforms and popular
	// sites. nil means DefaultGuard().
	Guard *Guard
	// Sources holds per-source options by Set.Source(); absent = zero value.
	Sources map[string]SourceOptions
}

// SourceOptions are per-source compile options.
type SourceOptions struct {
	// URLBlocksHost makes this source's URL indicators ("host/path") block
	// their host and its subtree, subject to the guard, as phishing-URL
	// feeds often intend. Off by default: a URL never blocks its host.
	URLBlocksHost bool
	// Trusted sources skip the platform and popular rules (a researcher's
	// own list). Public suffixes stay guarded for everyone.
	Trusted bool
}

// CompileReport says what Compile did with every source. It marshals to JSON.
type CompileReport struct {
	Sources []SourceReport `json:"sources"`
	Total   SourceReport   `json:"total"`
	// Names is the number of distinct listed names in the matcher.
	Names int `json:"names"`
	// AllowRejected lists --allow names that are not valid host names.
	AllowRejected []string `json:"allow_rejected,omitempty"`
}

// SourceReport counts one source's entries.
type SourceReport struct {
	Source     string `json:"source"`
	Entries    int    `json:"entries"`
	Domains    int    `json:"domains"`
	URLs       int    `json:"urls"`
	Addresses  int    `json:"addresses"`
	Lookalikes int    `json:"lookalikes"`
	// Applied counts domain entries (and host-blocking URL entries) that
	// made it into the matcher.
	Applied int `json:"applied"`
	// Duplicates counts entries naming a name the same source listed before.
	Duplicates int `json:"duplicates"`
	// Guarded counts Block entries the guard refused, by rule.
	Guarded         map[string]int `json:"guarded,omitempty"`
	GuardedExamples []GuardedEntry `json:"guarded_examples,omitempty"`
	// AllowedByUser counts Block entries dropped because a --allow name
	// covers them.
	AllowedByUser int `json:"allowed_by_user"`
	// OverriddenByAllow counts Block entries whose name an allowlist entry
	// of some feed also lists (Allow wins).
	OverriddenByAllow int `json:"overridden_by_allow"`
}

// GuardedEntry is one Block entry that the guard kept from being applied.
type GuardedEntry struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Line   int    `json:"line"`
	Rule   string `json:"rule"`
}

const maxGuardedExamples = 5

// Compile merges sets, in priority order, into an immutable Matcher.
//
// Allow entries of any feed win over Block entries of the same name; among
// equal actions the first set (then the first line) decides. Block entries
// for guarded names are not applied; those under a user --allow name are
// dropped. Both are counted in the report and kept for Explain.
//
// Compile does not modify the Sets; the Matcher shares their memory.
func Compile(sets []*Set, opts CompileOptions) (*Matcher, CompileReport) {
	g := opts.Guard
	if g == nil {
		g = DefaultGuard()
	}
	m := &Matcher{guard: g, userAllow: map[string]struct{}{}}
	var rep CompileReport

	// The user's --allow names become a Set of their own, first in line.
	ab := NewSetBuilder(SourceAllow)
	for _, a := range opts.Allow {
		raw := strings.TrimPrefix(strings.TrimSpace(a), "*.")
		n, err := NormalizeHost(raw)
		if ReasonOf(err) == ReasonUnknownTLD {
			// The user may allow internal names (corp.internal, home.arpa).
			n, err = strings.ToLower(strings.TrimSuffix(raw, ".")), nil
		}
		if err != nil {
			rep.AllowRejected = append(rep.AllowRejected, fmt.Sprintf("%s: %v", a, err))
			continue
		}
		if _, dup := m.userAllow[n]; dup {
			continue
		}
		m.userAllow[n] = struct{}{}
		ab.Add(Entry{Value: n, Kind: KindDomain, Action: Allow})
	}
	all := make([]*Set, 0, len(sets)+1)
	if ab.Len() > 0 {
		all = append(all, ab.Build())
	}
	for _, s := range sets {
		if s != nil {
			all = append(all, s)
		}
	}
	m.sets = all
	m.bases = make([]uint32, len(all)+1)
	capacity := 0
	for i, s := range all {
		m.bases[i+1] = m.bases[i] + uint32(s.n)
		for ri := 0; ri < s.n; ri++ {
			if k := s.rec(uint32(ri)).kind(); k == KindDomain || k == KindURL && opts.Sources[s.source].URLBlocksHost {
				capacity++
			}
		}
	}

	// Table: load factor ≤ 0.7 with linear probing.
	nslots := capacity*10/7 + 8
	m.slots = make([]uint64, nslots)
	// lastSet[p] is the set (+1) that last listed the name in slot p, to
	// count duplicates; it is dropped after compiling.
	lastSet := make([]uint16, nslots)

	reports := make([]SourceReport, len(all))
	for i, s := range all {
		reports[i].Source = s.source
		reports[i].Entries = s.n
	}

	// userAllowed reports whether a --allow name covers name.
	userAllowed := func(name string) bool {
		if len(m.userAllow) == 0 {
			return false
		}
		for {
			if _, ok := m.userAllow[name]; ok {
				return true
			}
			i := strings.IndexByte(name, '.')
			if i < 0 {
				return false
			}
			name = name[i+1:]
		}
	}

	// insert adds global reference ref, listing name, to the table.
	// Allows are inserted before Blocks, so the first entry decides.
	insert := func(si int, ref uint32, name string, r setRec) {
		rp := &reports[si]
		mixed := mix(hashName(name))
		tag := tagOf(mixed)
		p := slotOf(mixed, nslots)
		for {
			sl := m.slots[p]
			if sl == 0 {
				break
			}
			if slotTag(sl) == tag && m.listedName(slotFull(sl)-1) == name {
				addsSub := slotMode(sl) == subNone && !r.exact()
				if lastSet[p] == uint16(si+1) && !addsSub {
					rp.Duplicates++
					return
				}
				lastSet[p] = uint16(si + 1)
				if r.action() == Block && m.actionOf(slotFull(sl)-1) == Allow {
					rp.OverriddenByAllow++
				}
				if addsSub {
					if m.subs == nil {
						m.subs = map[uint32]uint32{}
					}
					m.subs[slotFull(sl)] = ref + 1
					m.slots[p] = sl&^(3<<32) | subOther<<32
				}
				rp.Applied++
				return
			}
			p++
			if p == nslots {
				p = 0
			}
		}
		mode := uint64(subSame)
		if r.exact() {
			mode = subNone
		}
		m.slots[p] = tag<<34 | mode<<32 | uint64(ref+1)
		if strings.IndexByte(name, '.') < 0 {
			m.tlds = true
		}
		lastSet[p] = uint16(si + 1)
		m.count++
		rp.Applied++
	}

	// Pass 1: allow entries; pass 2: block entries.
	for pass := 0; pass < 2; pass++ {
		for si, s := range all {
			so := opts.Sources[s.source]
			rp := &reports[si]
			for ri := 0; ri < s.n; ri++ {
				r := s.rec(uint32(ri))
				ref := m.bases[si] + uint32(ri)
				kind := r.kind()
				if pass == 0 {
					switch kind {
					case KindDomain:
						rp.Domains++
					case KindURL:
						rp.URLs++
						m.urls = append(m.urls, hashRef{hashName(m.listedName(ref)), ref})
					case KindAddress:
						rp.Addresses++
						m.addresses = append(m.addresses, hashRef{hashName(s.value(uint32(ri))), ref})
					case KindLookalike:
						rp.Lookalikes++
						v := s.value(uint32(ri))
						if form, ok := fuzzyForm(v); ok {
							m.fuzzy = append(m.fuzzy, fuzzyTarget{target: v, form: form, labels: strings.Count(form, ".") + 1, tol: s.tolerance(uint32(ri)), ref: ref})
						}
					}
				}
				isAllow := r.action() == Allow
				if isAllow != (pass == 0) {
					continue
				}
				var name string
				switch {
				case kind == KindDomain:
					name = s.value(uint32(ri))
				case kind == KindURL && so.URLBlocksHost && !isAllow:
					name = m.listedName(ref)
				default:
					continue
				}
				if !isAllow {
					// The public-suffix answer is memoized in the Set.
					rule, guarded := RulePublicSuffix, s.isPublicSuffix(uint32(ri))
					if !guarded {
						rule, guarded = g.checkSites(name)
					}
					if guarded && so.Trusted && rule != RulePublicSuffix {
						guarded = false
					}
					if guarded {
						m.guarded = append(m.guarded, guardedRef{ref: ref, rule: ruleID(rule)})
						if rp.Guarded == nil {
							rp.Guarded = map[string]int{}
						}
						rp.Guarded[rule]++
						if len(rp.GuardedExamples) < maxGuardedExamples {
							rp.GuardedExamples = append(rp.GuardedExamples, GuardedEntry{Name: name, Source: s.source, Line: int(r.line), Rule: rule})
						}
						continue
					}
					if userAllowed(name) {
						m.dropped = append(m.dropped, ref)
						rp.AllowedByUser++
						continue
					}
				}
				insert(si, ref, name, r)
			}
		}
	}
	slices.SortFunc(m.urls, func(a, b hashRef) int { return cmp.Compare(a.hash, b.hash) })
	slices.SortFunc(m.addresses, func(a, b hashRef) int { return cmp.Compare(a.hash, b.hash) })

	rep.Sources = reports
	rep.Total.Source = "total"
	for _, r := range reports {
		t := &rep.Total
		t.Entries += r.Entries
		t.Domains += r.Domains
		t.URLs += r.URLs
		t.Addresses += r.Addresses
		t.Lookalikes += r.Lookalikes
		t.Applied += r.Applied
		t.Duplicates += r.Duplicates
		t.AllowedByUser += r.AllowedByUser
		t.OverriddenByAllow += r.OverriddenByAllow
		for k, v := range r.Guarded {
			if t.Guarded == nil {
				t.Guarded = map[string]int{}
			}
			t.Guarded[k] += v
		}
	}
	rep.Names = m.count
	return m, rep
}

// Source returns the report of the named source (zero value if absent).
func (r *CompileReport) Source(name string) SourceReport {
	for _, s := range r.Sources {
		if s.Source == name {
			return s
		}
	}
	return SourceReport{}
}

func (m *Matcher) actionOf(ref uint32) Action {
	s, i := m.set(ref)
	return s.rec(i).action()
}

// tolerance returns entry i's look-alike tolerance (1 when unset).
func (s *Set) tolerance(i uint32) int {
	if ex, ok := s.extras[i]; ok && ex.tolerance > 0 {
		return ex.tolerance
	}
	return 1
}
