package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Role is what a token may do. Roles are ordered: an admin may do whatever a
// reviewer may, a reviewer whatever a submitter may.
type Role string

// Roles.
const (
	RoleSubmitter Role = "submitter"
	RoleReviewer  Role = "reviewer"
	RoleAdmin     Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleSubmitter:
		return 1
	case RoleReviewer:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Allows reports whether a token with role r may act where need is required.
func (r Role) Allows(need Role) bool { return r.rank() > 0 && r.rank() >= need.rank() }

// ParseRole accepts submitter, reviewer or admin.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.rank() > 0 {
		return r, nil
	}
	return "", fmt.Errorf("%w %q: use submitter, reviewer or admin", ErrInvalidRole, s)
}

// Token is an API credential. Only the SHA-256 of the secret is stored; the
// secret itself is shown once, by CreateToken.
type Token struct {
	ID      uint64    `json:"id"`
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Hash    string    `json:"hash"` // hex SHA-256 of the secret
	Created time.Time `json:"created"`
	Revoked time.Time `json:"revoked,omitzero"`
}

// Active reports whether the token has not been revoked.
func (t Token) Active() bool { return t.Revoked.IsZero() }

func (t Token) object() string { return "token:" + strconv.FormatUint(t.ID, 10) }

// secretPrefix marks scamblock tokens so secret scanners and people can tell
// what a leaked string is.
const secretPrefix = "sbk_"

// HashSecret is the stored form of a token secret.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ValidTokenName reports whether name is usable: 1-64 of A-Z a-z 0-9 . _ @ -.
func ValidTokenName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

// CreateToken makes a token and returns its secret (shown once; only its
// hash is kept). Names are unique among active tokens.
func (s *Store) CreateToken(name string, role Role, actor string) (string, Token, error) {
	if !ValidTokenName(name) {
		return "", Token{}, fmt.Errorf("token name %q: use 1-64 letters, digits, '.', '_', '@' or '-'", name)
	}
	if role.rank() == 0 {
		return "", Token{}, fmt.Errorf("%w %q: use submitter, reviewer or admin", ErrInvalidRole, role)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, fmt.Errorf("token randomness: %w", err)
	}
	secret := secretPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var tok Token
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		taken := false
		if err := each(tx, bucketTokens, func(t Token) error {
			taken = taken || (t.Active() && t.Name == name)
			return nil
		}); err != nil {
			return err
		}
		if taken {
			return fmt.Errorf("%w: an active token is already named %q (revoke it first or pick another name)", ErrNameTaken, name)
		}
		id, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("token sequence: %w", err)
		}
		tok = Token{ID: id, Name: name, Role: role, Hash: HashSecret(secret), Created: s.now().UTC()}
		if err := put(b, id, tok); err != nil {
			return err
		}
		return s.audit(tx, Event{Actor: actor, Action: ActionTokenCreate, Object: tok.object(), To: string(role),
			Reason: "name " + name})
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, tok, nil
}

// Tokens returns every token, revoked ones included, oldest first.
func (s *Store) Tokens() ([]Token, error) {
	var out []Token
	err := s.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketTokens, func(t Token) error {
			out = append(out, t)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes the active token named nameOrID (a name, or a decimal
// id). Revoking is permanent.
func (s *Store) RevokeToken(nameOrID, actor string) (Token, error) {
	var tok Token
	err := s.db.Update(func(tx *bolt.Tx) error {
		found := false
		id, idErr := strconv.ParseUint(nameOrID, 10, 64)
		if err := each(tx, bucketTokens, func(t Token) error {
			if !found && t.Active() && (t.Name == nameOrID || (idErr == nil && t.ID == id)) {
				tok, found = t, true
			}
			return nil
		}); err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: no active token named %q", ErrNotFound, nameOrID)
		}
		tok.Revoked = s.now().UTC()
		if err := put(tx.Bucket(bucketTokens), tok.ID, tok); err != nil {
			return err
		}
		return s.audit(tx, Event{Actor: actor, Action: ActionTokenRevoke, Object: tok.object(), From: string(tok.Role),
			Reason: "name " + tok.Name})
	})
	if err != nil {
		return Token{}, fmt.Errorf("revoke token: %w", err)
	}
	return tok, nil
}

// Authenticate returns the active token whose secret this is. It compares
// the secret's hash with every stored hash in constant time, without an
// early exit, so timing says nothing about which or how many tokens matched.
func (s *Store) Authenticate(secret string) (Token, error) {
	want := sha256.Sum256([]byte(secret))
	var match Token
	found := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketTokens, func(t Token) error {
			h, err := hex.DecodeString(t.Hash)
			if err != nil || len(h) != sha256.Size {
				return fmt.Errorf("token %d: corrupt hash", t.ID)
			}
			eq := subtle.ConstantTimeCompare(h, want[:])
			active := subtle.ConstantTimeEq(int32(boolInt(t.Active())), 1)
			if eq&active == 1 {
				match = t
				found++
			}
			return nil
		})
	})
	if err != nil {
		return Token{}, fmt.Errorf("authenticate: %w", err)
	}
	if found != 1 {
		return Token{}, ErrNotFound
	}
	return match, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
