package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// Validate checks every value against its setting's check, whatever set
// it (a source, or code), and the rules that join settings: at least one
// listener and one upstream, both halves of a TSIG key, one definition per
// feed name. Each error names the setting where it was set
// ("scamblock.yaml:9: server.rpz_tsig_name", "--rpz-tsig-name", ...).
func (c *Config) Validate() error {
	var errs []error
	for _, s := range model() {
		switch {
		case s.check == nil:
		case s.item:
			for i, f := range c.Feeds {
				if f.Keys != nil && !slices.Contains(f.Keys, s.leaf()) {
					continue // left to the built-in feed it changes
				}
				if err := checkValue(s, copyOf(s.field(c, i))); err != nil {
					errs = append(errs, fmt.Errorf("%s: feeds[%d].%s: %w", feedWhere(f), i, s.leaf(), err))
				}
			}
		default:
			if err := checkValue(s, copyOf(s.field(c, 0))); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.where(s.Key), err))
			}
		}
	}
	srv := c.Server
	if len(srv.DNSListen) == 0 {
		errs = append(errs, fmt.Errorf("%s: none given; e.g. 127.0.0.1:5335", c.where("server.dns_listen")))
	}
	if len(srv.Upstreams) == 0 {
		errs = append(errs, fmt.Errorf("%s: none given; e.g. tls://dns.quad9.net@9.9.9.9:853", c.where("server.upstreams")))
	}
	if ttl := time.Duration(srv.BlockTTL); ttl > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("%s: %s is too long; give at most 168h (7 days), e.g. 5m", c.where("server.block_ttl"), ttl))
	}
	if idle := time.Duration(srv.Web.SessionIdle); idle < time.Minute || idle > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("%s: %s: give 1m to 30d, e.g. 30m", c.where("server.session_idle"), idle))
	}
	if m := time.Duration(srv.Web.SessionMax); m < time.Duration(srv.Web.SessionIdle) || m > 90*24*time.Hour {
		errs = append(errs, fmt.Errorf("%s: %s: give at least %s (server.session_idle) and at most 90d, e.g. 12h",
			c.where("server.session_max"), m, time.Duration(srv.Web.SessionIdle)))
	}
	switch {
	case srv.RPZ.TSIGName != "" && srv.RPZ.TSIGSecret == "":
		errs = append(errs, fmt.Errorf("%s: a TSIG key needs its secret too: set %s (base64)", c.where("server.rpz_tsig_name"), c.names("server.rpz_tsig_secret")))
	case srv.RPZ.TSIGName == "" && srv.RPZ.TSIGSecret != "":
		errs = append(errs, fmt.Errorf("%s: a TSIG key needs its name too: set %s", c.where("server.rpz_tsig_secret"), c.names("server.rpz_tsig_name")))
	}
	errs = append(errs, c.validateFollow()...)
	errs = append(errs, c.validateOps()...)
	errs = append(errs, c.validateEncrypted()...)
	seen := map[string]Feed{}
	for _, f := range c.Feeds {
		name := f.DisplayName()
		if prev, dup := seen[name]; dup {
			errs = append(errs, fmt.Errorf("%s: feed %q is already defined at %s; give one of them another name", feedWhere(f), name, feedWhere(prev)))
			continue
		}
		seen[name] = f
	}
	return errors.Join(errs...)
}

// validateFollow: a followed primary needs its zone, a zone or key needs a
// primary, and a TSIG key needs both halves.
func (c *Config) validateFollow() []error {
	f := c.Server.Follow
	var errs []error
	switch {
	case f.Primary != "" && f.Zone == "":
		errs = append(errs, fmt.Errorf("%s: a follower needs the zone's name too: set %s (e.g. rpz.scamblock)", c.where("server.follow"), c.names("server.follow_zone")))
	case f.Primary == "" && f.Zone != "":
		errs = append(errs, fmt.Errorf("%s: a zone to follow needs its primary too: set %s (HOST:PORT)", c.where("server.follow_zone"), c.names("server.follow")))
	}
	switch {
	case f.TSIGName != "" && f.TSIGSecret == "":
		errs = append(errs, fmt.Errorf("%s: a TSIG key needs its secret too: set %s (base64)", c.where("server.follow_tsig_name"), c.names("server.follow_tsig_secret")))
	case f.TSIGName == "" && f.TSIGSecret != "":
		errs = append(errs, fmt.Errorf("%s: a TSIG key needs its name too: set %s", c.where("server.follow_tsig_secret"), c.names("server.follow_tsig_name")))
	case f.TSIGName != "" && f.Primary == "":
		errs = append(errs, fmt.Errorf("%s: a TSIG key for following needs a primary: set %s (HOST:PORT)", c.where("server.follow_tsig_name"), c.names("server.follow")))
	}
	return errs
}

// UsesDefaultFeeds says whether the built-in feed set is loaded: as
// default_feeds says, except that a follower (--follow) leaves it out
// unless default_feeds was set by a source (the primary's zone already
// carries what the primary loads; a fleet of followers should not each
// fetch the public feeds).
func (c *Config) UsesDefaultFeeds() bool {
	if c.Server.Follow.Primary == "" {
		return c.DefaultFeeds
	}
	_, set := c.origin["default_feeds"]
	return c.DefaultFeeds && set
}

// copyOf returns an addressable copy of v, so that a check's canonical
// form does not change c.
func copyOf(v reflect.Value) reflect.Value {
	cp := reflect.New(v.Type()).Elem()
	cp.Set(v)
	if l, ok := cp.Interface().(List); ok {
		cp.Set(reflect.ValueOf(slices.Clone(l)))
	}
	return cp
}

// where names setting key as it was set: "scamblock.yaml:7: server.block_mode",
// "--block-mode", "SCAMBLOCK_BLOCK_MODE", or all its names when it has its
// default.
func (c *Config) where(key string) string {
	if w, ok := c.origin[key]; ok {
		return w
	}
	return c.names(key)
}

// names is every name of setting key: "server.block_mode (--block-mode, SCAMBLOCK_BLOCK_MODE)".
func (c *Config) names(key string) string {
	for _, s := range model() {
		if s.Key == key {
			return s.Names()
		}
	}
	return key
}

func feedWhere(f Feed) string {
	if f.Source != "" {
		return f.Source
	}
	return "feed " + f.DisplayName()
}
