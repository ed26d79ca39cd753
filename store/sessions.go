package store

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Session is a browser's sign-in: which token signed in, the form token
// (CSRF) of its pages, and when it was made and last used. Only the
// SHA-256 of the session id is stored; the id lives in the browser's
// cookie.
type Session struct {
	TokenID   uint64    `json:"token_id"`
	TokenName string    `json:"token_name"`
	Role      Role      `json:"role"`
	CSRF      string    `json:"csrf"`
	Created   time.Time `json:"created"`
	Seen      time.Time `json:"seen"`
}

// SessionLimits end sessions: Idle after the last use, Max after sign-in.
type SessionLimits struct {
	Idle, Max time.Duration
}

// touchEvery is how stale Seen may get before a use writes it again: a
// page view does not cost an fsync.
const touchEvery = time.Minute

// ErrSessionEnded is returned for a session that expired or whose token
// was revoked (it is deleted).
var ErrSessionEnded = errors.New("session ended")

func randomString(n int) (string, error) {
	raw := make([]byte, n)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("randomness: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// CreateSession signs tok in and returns the new session's id (for the
// cookie) and the session.
func (s *Store) CreateSession(tok Token) (string, Session, error) {
	id, err := randomString(32)
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomString(24)
	if err != nil {
		return "", Session{}, err
	}
	now := s.now().UTC()
	sess := Session{TokenID: tok.ID, TokenName: tok.Name, Role: tok.Role, CSRF: csrf, Created: now, Seen: now}
	err = s.db.Update(func(tx *bolt.Tx) error {
		buf, err := jsonBytes(sess)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketSessions).Put([]byte(HashSecret(id)), buf)
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return id, sess, nil
}

// Session returns the live session with this id, marking it used. A
// session past its limits, or whose token is revoked or gone, is deleted
// and ErrSessionEnded returned; an unknown id gives ErrNotFound.
func (s *Store) Session(id string, lim SessionLimits) (Session, error) {
	key := []byte(HashSecret(id))
	var sess Session
	var stale, touch bool
	now := s.now().UTC()
	err := s.db.View(func(tx *bolt.Tx) error {
		buf := tx.Bucket(bucketSessions).Get(key)
		if buf == nil {
			return ErrNotFound
		}
		if err := decode(buf, &sess); err != nil {
			return fmt.Errorf("decode session: %w", err)
		}
		var tok Token
		err := get(tx.Bucket(bucketTokens), sess.TokenID, &tok)
		stale = errors.Is(err, ErrNotFound) || (err == nil && !tok.Active()) ||
			now.Sub(sess.Seen) > lim.Idle || now.Sub(sess.Created) > lim.Max
		touch = !stale && now.Sub(sess.Seen) > touchEvery
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	if stale || touch {
		err = s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSessions)
			if stale {
				return b.Delete(key)
			}
			sess.Seen = now
			buf, err := jsonBytes(sess)
			if err != nil {
				return err
			}
			return b.Put(key, buf)
		})
		if err != nil {
			return Session{}, fmt.Errorf("session: %w", err)
		}
	}
	if stale {
		return Session{}, ErrSessionEnded
	}
	return sess, nil
}

// DeleteSession signs a session out (no error when it is already gone).
func (s *Store) DeleteSession(id string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete([]byte(HashSecret(id)))
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// PruneSessions deletes every session past its limits and returns how
// many it deleted.
func (s *Store) PruneSessions(lim SessionLimits) (int, error) {
	now := s.now().UTC()
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var sess Session
			if err := decode(v, &sess); err != nil || now.Sub(sess.Seen) > lim.Idle || now.Sub(sess.Created) > lim.Max {
				dead = append(dead, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return n, nil
}
