package lists

// Hit says which listing decided a lookup.
//
// Matcher.Lookup(name string) (Hit, bool) takes a name in any letter case,
// with or without the trailing dot, and reports whether it is blocked. The
// Hit is filled whenever a listing decided, blocked or allowed, and Lookup
// does not allocate.
type Hit struct {
	Name     string `json:"name"`               // the listed entry that decided: the query name or one of its parents
	Source   string `json:"source"`             // the source that listed it: a feed name, "--allow", "submission:42"
	Category string `json:"category,omitempty"` // "phishing", "scam", ... ("" when the source gave none)
	Line     int    `json:"line,omitempty"`     // line in the source file; 0 when unknown
	Action   Action `json:"action"`             // Block, or Allow when an allow entry decided
	Exact    bool   `json:"exact,omitempty"`    // the entry covers the name only, not its subdomains
	// Consensus is, for a ranked name blocked whole, how many independent
	// sources agreed (0: not a ranked name, or a reviewed submission alone).
	Consensus int `json:"consensus,omitempty"`
}
