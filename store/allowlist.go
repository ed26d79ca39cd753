package store

import (
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AllowEntry is one name on the admin allowlist: the name and its
// subdomains are never blocked. Who added it, when and why are kept.
type AllowEntry struct {
	Name    string    `json:"name"` // normalized host name
	Reason  string    `json:"reason"`
	Actor   string    `json:"actor"` // token name of the admin
	Created time.Time `json:"created"`
}

// Audit actions of the allowlist.
const (
	ActionAllowAdd    = "allow-add"
	ActionAllowRemove = "allow-remove"
)

func allowObject(name string) string { return "allow:" + name }

// AddAllow puts name (already normalized) on the allowlist. Adding a name
// that is already there is ErrConflict.
func (s *Store) AddAllow(name, reason, actor string) (AllowEntry, error) {
	e := AllowEntry{Name: name, Reason: reason, Actor: actor, Created: s.now().UTC()}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAllow)
		if b.Get([]byte(name)) != nil {
			return fmt.Errorf("%w: %q is already on the allowlist", ErrConflict, name)
		}
		buf, err := jsonBytes(e)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(name), buf); err != nil {
			return err
		}
		return s.audit(tx, Event{Actor: actor, Action: ActionAllowAdd, Object: allowObject(name), Indicator: name,
			To: "allowed", Reason: reason})
	})
	if err != nil {
		return AllowEntry{}, fmt.Errorf("allow %s: %w", name, err)
	}
	return e, nil
}

// RemoveAllow takes name off the allowlist (ErrNotFound when it is not on it).
func (s *Store) RemoveAllow(name, reason, actor string) (AllowEntry, error) {
	var e AllowEntry
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAllow)
		buf := b.Get([]byte(name))
		if buf == nil {
			return fmt.Errorf("%w: %q is not on the allowlist", ErrNotFound, name)
		}
		if err := decode(buf, &e); err != nil {
			return fmt.Errorf("decode allow entry: %w", err)
		}
		if err := b.Delete([]byte(name)); err != nil {
			return err
		}
		return s.audit(tx, Event{Actor: actor, Action: ActionAllowRemove, Object: allowObject(name), Indicator: name,
			From: "allowed", Reason: reason})
	})
	if err != nil {
		return AllowEntry{}, fmt.Errorf("remove %s from the allowlist: %w", name, err)
	}
	return e, nil
}

// Allowlist returns every entry, by name.
func (s *Store) Allowlist() ([]AllowEntry, error) {
	var out []AllowEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketAllow).ForEach(func(k, v []byte) error {
			var e AllowEntry
			if err := decode(v, &e); err != nil {
				return fmt.Errorf("decode allow entry %q: %w", k, err)
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read the allowlist: %w", err)
	}
	return out, nil
}

// AllowNames returns the names on the allowlist.
func (s *Store) AllowNames() ([]string, error) {
	entries, err := s.Allowlist()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return out, nil
}

// AllowEntryFor returns the entry that covers name: name itself or its
// closest listed parent.
func (s *Store) AllowEntryFor(name string) (AllowEntry, bool, error) {
	var e AllowEntry
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAllow)
		for n := strings.ToLower(strings.TrimSuffix(name, ".")); n != ""; {
			if buf := b.Get([]byte(n)); buf != nil {
				found = true
				return decode(buf, &e)
			}
			i := strings.IndexByte(n, '.')
			if i < 0 {
				break
			}
			n = n[i+1:]
		}
		return nil
	})
	if err != nil {
		return AllowEntry{}, false, fmt.Errorf("allowlist: %w", err)
	}
	return e, found, nil
}
