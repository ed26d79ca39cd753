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
		{"file name is not a host", "03116ff46f0426b90c22c30cad7d244c.html", "", ReasonUnknownTLD},
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

func FuzzNormalizeHost(f *testing.F) {
	for _, s := range []string{"evil.com", "bücher.de", "a..b", "xn--", "1.2.3.4", "\u00ad.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
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
