// Package certs provides the TLS server certificate for DNS over TLS and
// DNS over HTTPS: from a certificate and key file pair that is read again on
// Reload (SIGHUP), or from ACME (Let's Encrypt) for a resolver with a public
// name, cached in the data directory.
package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// Source hands out the current certificate.
type Source interface {
	// TLSConfig is a server configuration whose certificate follows the
	// source (a reload takes effect on the next handshake).
	TLSConfig() *tls.Config
	// Reload reads the certificate again; the old one stays on error.
	Reload() error
	// Names are the DNS names the certificate is for (the first is the
	// name clients are told to verify, e.g. in DDR answers).
	Names() []string
}

// Files is a certificate and key pair in PEM files.
type Files struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// LoadFiles reads the pair once; an error says which file and why.
func LoadFiles(certFile, keyFile string) (*Files, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("TLS needs both a certificate and a key file (--tls-cert and --tls-key)")
	}
	f := &Files{certFile: certFile, keyFile: keyFile}
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload reads both files again.
func (f *Files) Reload() error {
	c, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s with key %s: %w", f.certFile, f.keyFile, err)
	}
	if c.Leaf == nil && len(c.Certificate) > 0 {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return fmt.Errorf("TLS certificate %s: %w", f.certFile, err)
		}
	}
	f.cur.Store(&c)
	return nil
}

// TLSConfig returns a configuration serving the current pair.
func (f *Files) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return f.cur.Load(), nil
		},
	}
}

// Names are the certificate's DNS subject alternative names.
func (f *Files) Names() []string {
	c := f.cur.Load()
	if c == nil || c.Leaf == nil {
		return nil
	}
	return c.Leaf.DNSNames
}

// ACME obtains and renews certificates for domains from an ACME CA
// (Let's Encrypt by default) with the TLS-ALPN-01 challenge, answered on the
// DoT/DoH port itself (it must be reachable on port 443 from the CA).
type ACME struct {
	m      *autocert.Manager
	domain []string
}

// NewACME caches account and certificates under dataDir/acme. directory
// is the CA's directory URL ("" = Let's Encrypt).
func NewACME(domains []string, email, dataDir, directory string) (*ACME, error) {
	if len(domains) == 0 {
		return nil, errors.New("ACME needs a domain name (--acme-domain)")
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(filepath.Join(dataDir, "acme")),
		HostPolicy: autocert.HostWhitelist(domains...),
		Email:      email,
	}
	if directory != "" {
		m.Client = &acme.Client{DirectoryURL: directory}
	}
	return &ACME{m: m, domain: domains}, nil
}

// TLSConfig answers the TLS-ALPN-01 challenge and serves the certificate.
func (a *ACME) TLSConfig() *tls.Config {
	c := a.m.TLSConfig()
	c.MinVersion = tls.VersionTLS12
	return c
}

// Reload does nothing: the manager renews by itself.
func (a *ACME) Reload() error { return nil }

// Names are the configured domains.
func (a *ACME) Names() []string { return a.domain }
