package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Event is one line of the append-only audit log: who changed what, when,
// from which state to which. Events are written in the same transaction as
// the change they describe, so the log and the records never disagree.
type Event struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor"`  // token name, or "system" (expiry), "public" (appeals)
	Action    string    `json:"action"` // submit, merge, approve, reject, renew, expire, appeal, delist, dismiss, token-create, token-revoke
	Object    string    `json:"object"` // "submission:12", "appeal:3", "token:2"
	Indicator string    `json:"indicator,omitempty"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// Audit actions.
const (
	ActionSubmit      = "submit"
	ActionMerge       = "merge"
	ActionApprove     = "approve"
	ActionReject      = "reject"
	ActionRenew       = "renew"
	ActionExpire      = "expire"
	ActionAppeal      = "appeal"
	ActionDelist      = "delist"
	ActionDismiss     = "dismiss"
	ActionTokenCreate = "token-create"
	ActionTokenRevoke = "token-revoke"
)

func (s *Store) audit(tx *bolt.Tx, ev Event) error {
	b := tx.Bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("audit sequence: %w", err)
	}
	ev.Seq = seq
	if ev.Time.IsZero() {
		ev.Time = s.now().UTC()
	}
	return put(b, seq, ev)
}

// Audit returns up to limit events with Seq > after, oldest first
// (limit <= 0 means all).
func (s *Store) Audit(after uint64, limit int) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(itob(after + 1)); k != nil; k, v = c.Next() {
			var ev Event
			if err := decode(v, &ev); err != nil {
				return fmt.Errorf("audit event %d: %w", btoi(k), err)
			}
			out = append(out, ev)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}

// Serial is the sequence number of the last audit event: it grows with every
// change, so exports use it as a zone serial and a version.
func (s *Store) Serial() (uint64, error) {
	var seq uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		seq = tx.Bucket(bucketAudit).Sequence()
		return nil
	})
	return seq, err
}
