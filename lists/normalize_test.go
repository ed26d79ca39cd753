package lists

import (
	"strings"
	"testing"
)

func TestNormalizeHost(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string
		reason Reason
	}{
		{"lower-cases", "CoinBene.io", "coinbene.io", ""},
		{"drops trailing dot", "evil.example.com.", "evil.example.com", ""},
		{"trims blanks", "  evil.com\r", "evil.com", ""},
		{"unicode becomes punycode", "bücher.de", "xn--bcher-kva.de", ""},
		{"punycode stays", "xn--bcher-kva.de", "xn--bcher-kva.de", ""},
		{"upper-case punycode is checked too", "Xn--000000000.AC", "", ReasonIDNA},
		{"underscore allowed", "_dmarc.example.com", "_dmarc.example.com", ""},
		{"empty", " ", "", ReasonEmpty},
		{"ipv4", "192.0.2.1", "", ReasonIPAddress},
		{"ipv6", "[2001:db8::1]", "", ReasonIPAddress},
		{"single label", "localhost", "", ReasonSingleLabel},
		{"unknown TLD is still a name", "03116ff46f0426b90c22c30cad7d244c.html", "03116ff46f0426b90c22c30cad7d244c.html", ""},
		{"new gTLD not in the compiled list", "scam.newgtldxyz", "scam.newgtldxyz", ""},
		{"special-use .example", "good.example", "good.example", ""},
		{"special-use .lan", "Printer.LAN.", "printer.lan", ""},
		{"home.arpa", "nas.home.arpa", "nas.home.arpa", ""},
		{"all-digit TLD", "1.2.3.4.5", "", ReasonInvalidLabel},
		{"all-digit TLD after name", "evil.123", "", ReasonInvalidLabel},
		{"soft hyphen", "coin\u00adbase.com", "", ReasonSoftHyphen},
		{"leading hyphen", "-evil.com", "", ReasonInvalidLabel},
		{"empty label", "evil..com", "", ReasonInvalidLabel},
		{"slash", "evil.com/path", "", ReasonInvalidChar},
		{"space inside", "evil com.com", "", ReasonInvalidChar},
		{"label too long", strings.Repeat("a", 64) + ".com", "", ReasonInvalidLabel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeHost(tt.in)
			if r := ReasonOf(err); r != tt.reason {
				t.Fatalf("NormalizeHost(%q) reason = %q (err %v), want %q", tt.in, r, err, tt.reason)
			}
			if got != tt.want {
				t.Fatalf("NormalizeHost(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalizeHostSaysLabelAndRule(t *testing.T) {
	for in, want := range map[string]string{
		"-evil.com":                              `label "-evil" starts or ends with a hyphen (RFC 1035 §2.3.1)`,
		"evil..com":                              "empty label (RFC 1035",
		"ev!l.com":                               `'!' in label "ev!l"`,
		"evil.123":                               `top-level label "123" is all digits (RFC 3696 §2)`,
		"xn--a.com":                              "IDNA 2008",
		"a.b" + strings.Repeat("c", 64) + ".com": "the limit is 63 (RFC 1035 §2.3.4)",
	} {
		_, err := NormalizeHost(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NormalizeHost(%q) error = %v, want it to say %q", in, err, want)
		}
	}
}

func TestClassifyTLD(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want TLDClass
	}{
		{"ICANN TLD", "evil.com", TLDKnown},
		{"wildcard-only ccTLD", "evil.com.np", TLDKnown},
		{"unknown TLD", "scam.newgtldxyz", TLDUnknown},
		{"RFC 6761 .test", "a.test", TLDSpecialUse},
		{"RFC 6761 .example", "good.example", TLDSpecialUse},
		{"RFC 6761 .invalid", "x.invalid", TLDSpecialUse},
		{"RFC 6761 .localhost", "app.localhost", TLDSpecialUse},
		{"RFC 8375 home.arpa", "nas.home.arpa", TLDSpecialUse},
		{"other .arpa is known", "1.0.0.127.in-addr.arpa", TLDKnown},
		{".internal", "corp.internal", TLDSpecialUse},
		{"household .lan", "printer.lan", TLDSpecialUse},
		{"household .home", "router.home", TLDSpecialUse},
		{".corp", "intranet.corp", TLDSpecialUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyTLD(tt.in); got != tt.want {
				t.Fatalf("ClassifyTLD(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{"evil.com", "bücher.de", "a..b", "xn--", "1.2.3.4", "\u00ad.com"} {
		f.Add(s)
	}
	for _, s := range isNormalHostCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsNormalHost(s) {
			if n, err := normalizeHost(s); err != nil || n != s {
				t.Fatalf("IsNormalHost(%q) but the full normalization gives %q, %v", s, n, err)
			}
		}
		got, err := NormalizeHost(s)
		if err != nil {
			return
		}
		again, err := NormalizeHost(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, got, again, err)
		}
	})
}

// isNormalHostCases are names on both sides of every rule IsNormalHost
// checks.
var isNormalHostCases = []string{
	"evil.com", "a.b", "a_b.c", "a-b.c", "-a.b", "a-.b", "a.-b", "a.b-", "a..b", ".a.b", "a.b.",
	"1.2.3.4", "1.2.3.x4", "a.123", "a.12a", "123.com", "xn--bcher-kva.de", "axn--b.com", "x-n--a.com",
	"Evil.com", "evil.com ", " evil.com", "ev il.com", "bücher.de", "a", "localhost", "a.b/c", "a.b:80",
	strings.Repeat("a", 63) + ".com", strings.Repeat("a", 64) + ".com", "a." + strings.Repeat("b", 64),
	strings.Repeat("abcdefgh.", 28) + "com", strings.Repeat("abcdefgh.", 27) + "com", "0.0.0.0", "cafe.be", "a.b_",
}

// IsNormalHost accepts only names the full normalization returns
// unchanged, and accepts the plain names of a list.
func TestIsNormalHost(t *testing.T) {
	accepted := 0
	for _, s := range isNormalHostCases {
		n, err := normalizeHost(s)
		fast := IsNormalHost(s)
		if fast && (err != nil || n != s) {
			t.Errorf("IsNormalHost(%q) = true, but the full normalization gives %q, %v", s, n, err)
		}
		if !fast && err == nil && n == s && !strings.Contains(s, "xn--") {
			t.Errorf("IsNormalHost(%q) = false for a normalized name", s)
		}
		if fast {
			accepted++
		}
	}
	if accepted < 8 {
		t.Errorf("only %d names took the fast path", accepted)
	}
}
