package hashbl

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spamAssassinConf queries the zone the way a mail filter would: HashBL's
// check_hashbl_bodyre captures an address with a regex, hashes it (sha1 of
// the lower-cased capture by default; sha256/case keeps the case and sends
// lower-case base32) and asks <hash>.<zone>. Only this file is loaded (no
// stock rules), so a scan is fast and makes no other network lookups.
const spamAssassinConf = `
loadplugin Mail::SpamAssassin::Plugin::HashBL
dns_server [127.0.0.1]:PORT
dns_available yes
use_bayes 0
rbl_timeout 15
required_score 5
report_safe 0
add_header all Status "_YESNO_, score=_SCORE_ required=_REQD_ tests=_TESTS_"

body     SCAMBLOCK_ETH eval:check_hashbl_bodyre('ZONE', 'sha1/max=10/shuffle', '\b(0x[0-9a-fA-F]{40})\b')
describe SCAMBLOCK_ETH Message contains an ETH address listed by scamblock
tflags   SCAMBLOCK_ETH net
score    SCAMBLOCK_ETH 5.0

body     SCAMBLOCK_BTC eval:check_hashbl_bodyre('ZONE', 'sha256/case/max=10', '\b([13][a-km-zA-HJ-NP-Z1-9]{25,34})\b', '^127\.0\.2\.')
describe SCAMBLOCK_BTC Message contains a sanctioned BTC address listed by scamblock
tflags   SCAMBLOCK_BTC net
score    SCAMBLOCK_BTC 5.0
`

func message(body string) string {
	return "From: Support <support@wallet-help.example>\r\n" +
		"To: victim@example.org\r\n" +
		"Subject: Your airdrop is waiting\r\n" +
		"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n" +
		"Message-ID: <test-1@wallet-help.example>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=us-ascii\r\n" +
		"\r\n" + body + "\r\n"
}

// TestSpamAssassinHashBLInterop scans two messages with the real
// SpamAssassin against the zone on loopback: one naming listed addresses
// (both rules hit), one naming unlisted ones (neither does).
func TestSpamAssassinHashBLInterop(t *testing.T) {
	sa, err := exec.LookPath("spamassassin")
	if err != nil {
		t.Skip("spamassassin not installed (Debian: apt-get install -y spamassassin); skipping the HashBL interop test")
	}
	server := serve(t, testZone(t))
	_, port, _ := strings.Cut(server, ":")
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	site := filepath.Join(dir, "site")
	for _, d := range []string{rules, site} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The Check plugin runs the rules; without the stock .pre files it
	// has to be loaded by hand. The TLD list keeps registryboundaries quiet.
	pre := "loadplugin Mail::SpamAssassin::Plugin::Check\nutil_rb_tld com org example local\n"
	if err := os.WriteFile(filepath.Join(site, "init.pre"), []byte(pre), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := strings.NewReplacer("PORT", port, "ZONE", zoneName).Replace(spamAssassinConf)
	if err := os.WriteFile(filepath.Join(rules, "scamblock.cf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	prefs := filepath.Join(dir, "user_prefs")
	if err := os.WriteFile(prefs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	scan := func(t *testing.T, msg string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, sa, "--configpath="+rules, "--siteconfigpath="+site, "--prefspath="+prefs, "-D", "hashbl,dns")
		cmd.Env = append(os.Environ(), "HOME="+dir)
		cmd.Stdin = strings.NewReader(msg)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("spamassassin: %v\n%s", err, stderr.String())
		}
		m, err := mail.ReadMessage(bytes.NewReader(stdout.Bytes()))
		if err != nil {
			t.Fatalf("spamassassin output is not a message: %v\n%s", err, stdout.String())
		}
		status := m.Header.Get("X-Spam-Status") // unfolded
		if status == "" {
			t.Fatalf("no X-Spam-Status in the output:\n%s\n%s", stdout.String(), stderr.String())
		}
		t.Logf("%s", status)
		if testing.Verbose() {
			for _, l := range strings.Split(stderr.String(), "\n") {
				if strings.Contains(l, "HashBL") || strings.Contains(l, "hashbl") {
					t.Log(l)
				}
			}
		}
		return status
	}
	t.Run("listed addresses hit both rules", func(t *testing.T) {
		status := scan(t, message("Send 0.1 ETH to "+ethListed+" to receive your airdrop.\r\n"+
			"Or pay in bitcoin: "+btcListed+"\r\n"))
		for _, rule := range []string{"SCAMBLOCK_ETH", "SCAMBLOCK_BTC"} {
			if !strings.Contains(status, rule) {
				t.Errorf("%s did not hit: %s", rule, status)
			}
		}
	})
	t.Run("unlisted addresses hit no rule", func(t *testing.T) {
		status := scan(t, message("Send 0.1 ETH to "+ethOther+" to receive your airdrop.\r\n"+
			"Or pay in bitcoin: 1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu\r\n"))
		if strings.Contains(status, "SCAMBLOCK_") {
			t.Errorf("a rule hit an unlisted address: %s", status)
		}
	})
}
