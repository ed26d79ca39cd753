package config

import "fmt"

// Encrypted configures DNS over TLS and DNS over HTTPS for clients (the
// dot_listen, doh_listen, tls_* and acme_* keys of the server section); see
// resolver/dot.go, resolver/doh.go and package certs.
type Encrypted struct {
	DoTListen     List   `yaml:"dot_listen" flag:"dot-listen" meta:"HOST:PORT" check:"listen" help:"serve DNS over TLS (RFC 7858; Android Private DNS) on HOST:PORT, usually port 853; repeatable; needs tls_cert and tls_key or acme_domain"`
	DoHListen     List   `yaml:"doh_listen" flag:"doh-listen" meta:"HOST:PORT" check:"listen" help:"serve DNS over HTTPS (RFC 8484, https://NAME/dns-query; browsers, Apple) on HOST:PORT, usually port 443; repeatable; needs tls_cert and tls_key or acme_domain"`
	TLSCert       string `yaml:"tls_cert" flag:"tls-cert" meta:"FILE" help:"PEM certificate FILE (with its chain) for DoT and DoH; read again on SIGHUP"`
	TLSKey        string `yaml:"tls_key" flag:"tls-key" meta:"FILE" help:"PEM private key FILE of tls_cert; read again on SIGHUP"`
	TLSName       string `yaml:"tls_name" flag:"tls-name" meta:"NAME" check:"name,optional" help:"the certificate's NAME that DDR (_dns.resolver.arpa) tells clients to verify; \"\" = the certificate's first DNS name (or acme_domain)"`
	ACMEDomain    List   `yaml:"acme_domain" flag:"acme-domain" meta:"NAME" check:"name" help:"get and renew the DoT/DoH certificate for NAME from Let's Encrypt (TLS-ALPN-01 on the encrypted port, which must be reachable as 443); cached in DIR/acme; repeatable; instead of tls_cert"`
	ACMEEmail     string `yaml:"acme_email" flag:"acme-email" meta:"ADDRESS" help:"contact ADDRESS given to the ACME CA (expiry warnings)"`
	ACMEDirectory string `yaml:"acme_directory" flag:"acme-directory" meta:"URL" help:"ACME directory URL of another CA; \"\" = Let's Encrypt"`
}

// validateEncrypted: listeners need a certificate from exactly one source,
// and a certificate needs its key.
func (c *Config) validateEncrypted() []error {
	e := c.Server.Encrypted
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{c.where(key)}, args...)...))
	}
	files := e.TLSCert != "" || e.TLSKey != ""
	switch {
	case e.TLSCert != "" && e.TLSKey == "":
		bad("server.tls_cert", "a certificate needs its key: set %s", c.names("server.tls_key"))
	case e.TLSCert == "" && e.TLSKey != "":
		bad("server.tls_key", "a key needs its certificate: set %s", c.names("server.tls_cert"))
	case files && len(e.ACMEDomain) > 0:
		bad("server.acme_domain", "give either a certificate (%s) or ACME, not both", c.names("server.tls_cert"))
	}
	if (len(e.DoTListen) > 0 || len(e.DoHListen) > 0) && !files && len(e.ACMEDomain) == 0 {
		key := "server.dot_listen"
		if len(e.DoTListen) == 0 {
			key = "server.doh_listen"
		}
		bad(key, "DNS over TLS/HTTPS needs a certificate: set %s and %s, or %s", c.names("server.tls_cert"), c.names("server.tls_key"), c.names("server.acme_domain"))
	}
	return errs
}
