package service

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/internal/dnstest"
)

// TestServeDoTAndDoH: serve with --dot-listen and --doh-listen and a
// certificate from files; kdig resolves over both and gets the block
// answer with its EDE for a listed name; SIGHUP reloads the certificate.
func TestServeDoTAndDoH(t *testing.T) {
	cert := dnstest.NewCert(t, "dns.test")
	dot, doh := dnstest.FreeAddr(t), dnstest.FreeAddr(t)
	cfg := config.Default()
	cfg.Feeds = []config.Feed{{Name: "local", URL: localFeed(t, "scam-exchange.com"), Enabled: true}}
	cfg.Server.Encrypted = config.Encrypted{DoTListen: config.List{dot}, DoHListen: config.List{doh},
		TLSCert: cert.CertFile, TLSKey: cert.KeyFile}
	run := startService(t, cfg)

	kdig, err := exec.LookPath("kdig")
	if err != nil {
		t.Skip("kdig is not installed (apt-get install knot-dnsutils); .ci/run installs it")
	}
	for _, c := range []struct{ addr, mode string }{{dot, "+tls"}, {doh, "+https"}} {
		host, port, _ := net.SplitHostPort(c.addr)
		out, err := exec.Command(kdig, "@"+host, "-p", port, c.mode, "+tls-ca="+cert.CAFile, "+tls-hostname=dns.test",
			"+timeout=3", "www.scam-exchange.com", "A").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "NXDOMAIN") || !strings.Contains(string(out), "local") {
			t.Errorf("kdig %s: want NXDOMAIN with the EDE naming the feed: %v\n%s", c.mode, err, out)
		}
	}

	// A renewed certificate (another CA) is served after SIGHUP.
	renewed := dnstest.NewCert(t, "dns.test")
	for _, f := range [][2]string{{renewed.CertFile, cert.CertFile}, {renewed.KeyFile, cert.KeyFile}} {
		b, _ := os.ReadFile(f[0])
		if err := os.WriteFile(f[1], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run.hup <- syscall.SIGHUP
	waitFor(t, 5*time.Second, func() bool {
		c, err := tls.Dial("tcp", dot, &tls.Config{RootCAs: renewed.Pool, ServerName: "dns.test"})
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// TestBadCertificateIsAStartError: a missing certificate file stops the
// start with an error that names the file.
func TestBadCertificateIsAStartError(t *testing.T) {
	cfg := config.Default()
	cfg.Server.DNSListen = config.List{"127.0.0.1:0"}
	cfg.Server.HTTPListen = ""
	cfg.Server.DataDir = t.TempDir()
	cfg.DefaultFeeds = false
	cfg.Server.Encrypted = config.Encrypted{DoTListen: config.List{"127.0.0.1:0"},
		TLSCert: "/nonexistent/cert.pem", TLSKey: "/nonexistent/key.pem"}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := Run(ctx, cfg, Options{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/cert.pem") {
		t.Fatalf("start with a missing certificate: %v; want an error naming the file", err)
	}
}
