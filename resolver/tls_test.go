package resolver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startDoT serves the test zone over DNS over TLS with a fresh self-signed
// certificate for dot.test; it returns the address and a pool trusting it.
func startDoT(t *testing.T) (string, *x509.CertPool, *authServer) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dot.test"},
		DNSNames: []string{"dot.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	auth := startAuth(t) // reuse its handler over TLS
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: l, Net: "tcp-tls", Handler: auth.tcp.Handler}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return l.Addr().String(), pool, auth
}

// openStreams counts the first upstream's open TCP/TLS connections.
func openStreams(ts *testServer) int {
	p := ts.forward.ups[0].conn.stream
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

func TestDoTUpstream(t *testing.T) {
	addr, pool, auth := startDoT(t)
	t.Run("certificate verified by name: answers, connection reused", func(t *testing.T) {
		ts := startServer(t, Config{Upstreams: []string{"tls://dot.test@" + addr}, UpstreamTLS: &tls.Config{RootCAs: pool}, CacheSize: -1}, testList())
		before := auth.tcpCount.Load()
		for range 3 {
			r := ts.query(t, "udp", "a.test", dns.TypeA, false)
			if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
				t.Fatalf("rcode %s answers %d", dns.RcodeToString[r.Rcode], len(r.Answer))
			}
		}
		if n := auth.tcpCount.Load() - before; n != 3 {
			t.Errorf("upstream saw %d queries, want 3", n)
		}
		if n := openStreams(ts); n != 1 {
			t.Errorf("%d TLS connections, want 1 reused", n)
		}
	})
	t.Run("concurrent misses are pipelined on one connection", func(t *testing.T) {
		ts := startServer(t, Config{Upstreams: []string{"tls://dot.test@" + addr}, UpstreamTLS: &tls.Config{RootCAs: pool}, CacheSize: -1}, testList())
		ts.query(t, "udp", "a.test", dns.TypeA, false) // the one handshake
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				name := []string{"a.test", "b.test", "nope.test", "upper.test"}[i%4]
				if r := ts.query(t, "udp", name, dns.TypeA, false); r.Rcode == dns.RcodeServerFailure {
					t.Errorf("%s: SERVFAIL", name)
				}
			})
		}
		wg.Wait()
		if n := openStreams(ts); n != 1 {
			t.Errorf("%d TLS connections after 20 concurrent queries, want 1 (pipelined)", n)
		}
	})
	t.Run("wrong name fails verification: SERVFAIL", func(t *testing.T) {
		ts := startServer(t, Config{Upstreams: []string{"tls://other.test@" + addr}, UpstreamTLS: &tls.Config{RootCAs: pool}}, testList())
		r := ts.query(t, "udp", "a.test", dns.TypeA, true)
		if r.Rcode != dns.RcodeServerFailure {
			t.Errorf("rcode %s, want SERVFAIL when the certificate does not match", dns.RcodeToString[r.Rcode])
		}
	})
}
