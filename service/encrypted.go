package service

import (
	"github.com/scamblock/scamblock/certs"
	"github.com/scamblock/scamblock/config"
	"github.com/scamblock/scamblock/resolver"
)

// loadCertificate reads the DoT/DoH certificate when srv asks for DNS over
// TLS or HTTPS: from files (reloaded on SIGHUP) or from ACME. It runs first
// in assemble, so a bad file stops the start before anything is loaded.
func (s *system) loadCertificate(srv config.Server) error {
	e := srv.Encrypted
	if len(e.DoTListen) == 0 && len(e.DoHListen) == 0 {
		return nil
	}
	var err error
	if len(e.ACMEDomain) > 0 {
		s.certs, err = certs.NewACME(e.ACMEDomain, e.ACMEEmail, srv.DataDir, e.ACMEDirectory)
	} else {
		s.certs, err = certs.LoadFiles(e.TLSCert, e.TLSKey)
	}
	return err
}

// withEncryption adds the DoT and DoH listeners to rc.
func (s *system) withEncryption(rc *resolver.Config, srv config.Server) {
	if s.certs == nil {
		return
	}
	e, src := srv.Encrypted, s.certs
	rc.DoTListen, rc.DoHListen, rc.TLS = e.DoTListen, e.DoHListen, src.TLSConfig()
	rc.TLSName = e.TLSName
	if rc.TLSName == "" {
		if names := src.Names(); len(names) > 0 {
			rc.TLSName = names[0]
		}
	}
}

// reloadCertificate reads the certificate files again (SIGHUP).
func (s *system) reloadCertificate() {
	if s.certs == nil {
		return
	}
	if err := s.certs.Reload(); err != nil {
		s.log.Error("reload: TLS certificate not reloaded; the old one stays in use", "err", err)
		return
	}
	s.log.Info("TLS certificate reloaded")
}
