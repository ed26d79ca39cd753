package lists

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGuardCheck(t *testing.T) {
	g := DefaultGuard()
	tests := []struct {
		name  string
		input string
		rule  string
	}{
		{"ICANN public suffix is guarded", "com", RulePublicSuffix},
		{"two-label public suffix is guarded", "co.uk", RulePublicSuffix},
		{"private-section suffix is guarded", "github.io", RulePublicSuffix},
		{"pages.dev is guarded", "pages.dev", RulePublicSuffix},
		{"vercel.app is guarded", "vercel.app", RulePublicSuffix},
		{"user-content host is guarded", "sites.google.com", RulePlatform},
		{"storage bucket host is guarded", "storage.googleapis.com", RulePlatform},
		{"IPFS gateway is guarded", "gateway.pinata.cloud", RulePlatform},
		{"link shortener is guarded", "bit.ly", RulePlatform},
		{"invite host is guarded", "discord.gg", RulePlatform},
		{"telegram links are guarded", "t.me", RulePlatform},
		{"linktree is guarded", "linktr.ee", RulePlatform},
		{"popular exchange is guarded", "coinbase.com", RulePopular},
		{"www name of a popular site is guarded", "www.binance.com", RulePopular},
		{"popular explorer is guarded", "etherscan.io", RulePopular},
		{"survey site is guarded", "surveymonkey.com", RulePlatform},
		{"trailing dot is ignored", "kraken.com.", RulePopular},
		{"subdomain of a popular site is not guarded", "login.coinbase.com", ""},
		{"project page under a platform suffix is not guarded", "evil.github.io", ""},
		{"page under a platform host is not guarded", "x.sites.google.com", ""},
		{"look-alike is not guarded", "coinbase-login.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule, guarded := g.Check(tt.input)
			if rule != tt.rule || guarded != (tt.rule != "") {
				t.Fatalf("Check(%q) = %q, %v; want %q", tt.input, rule, guarded, tt.rule)
			}
		})
	}
}

func TestGuardListsAreClean(t *testing.T) {
	for name, text := range map[string]string{"popular.txt": popularText, "platforms.txt": platformsText} {
		seen := map[string]bool{}
		for _, n := range ParseNameList(text) {
			if seen[n] {
				t.Errorf("%s: %q listed twice", name, n)
			}
			seen[n] = true
			if got, err := NormalizeHost(n); err != nil || got != n {
				t.Errorf("%s: %q is not a canonical host name: %q, %v", name, n, got, err)
			}
		}
		if !strings.HasPrefix(text, "# ") {
			t.Errorf("%s has no header comment documenting its basis", name)
		}
	}
	if pl, pop := DefaultGuard().Len(); pl < 150 || pop < 800 {
		t.Errorf("guard lists shrank: %d platforms, %d popular", pl, pop)
	}
}

// famousInFeeds are legitimate sites that the shared feeds list as plain
// entries (found by scanning every file): each must be guarded.
var famousInFeeds = []string{
	// decripto domini_scam.txt
	"coinbase.com", "etherscan.io", "metamask.io", "uniswap.org", "pancakeswap.finance",
	"twitter.com", "youtube.com", "facebook.com", "instagram.com", "reddit.com", "gmail.com",
	"tiktok.com", "wix.com", "apps.apple.com", "play.google.com", "crypto.com", "okx.com",
	"bybit.com", "gate.io", "mexc.com", "huobi.com", "bitfinex.com", "blockchain.com",
	"solana.com", "stellar.org", "imgur.com", "udemy.com", "kiwi.com", "moonpay.com",
	"chat.whatsapp.com", "plus500.com", "oanda.com", "xm.com",
	// jarelllama, hagezi, blocklistproject, scamsniffer
	"surveymonkey.com", "xoom.com", "neteller.com", "cex.io", "bitrue.com", "stormgain.com",
	"lbank.com", "4everland.app", "cutt.ly", "bing.com", "is.gd", "tr.ee", "eth.limo",
	// cryptoscamdb, polkadot-js (URL hosts and allow entries)
	"t.me", "bit.ly", "medium.com", "telegra.ph", "pastebin.com", "discord.com", "github.com",
	"myetherwallet.com", "fleek.co", "surge.sh", "weebly.com", "x.com",
}

func TestPopularCoversFeedFalsePositives(t *testing.T) {
	dir := feedsDir(t)
	var all [][]byte
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		all = append(all, bytes.ToLower(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	g := DefaultGuard()
	for _, name := range famousInFeeds {
		found := false
		for _, b := range all {
			if bytes.Contains(b, []byte(name)) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s no longer occurs in the shared feeds; update famousInFeeds", name)
		}
		if _, guarded := g.Check(name); !guarded {
			t.Errorf("%s occurs in the shared feeds and is not guarded", name)
		}
	}
}
