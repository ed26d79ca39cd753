package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/scamblock/scamblock/catalogue"
	"github.com/scamblock/scamblock/lists"
)

// State is where a submission is in review.
type State string

// Submission states. pending → approved | rejected; approved → expired |
// delisted; expired → approved (renew).
const (
	StatePending  State = "pending"
	StateApproved State = "approved"
	StateRejected State = "rejected"
	StateExpired  State = "expired"
	StateDelisted State = "delisted"
)

// ParseState accepts a state name ("" means any).
func ParseState(s string) (State, error) {
	switch st := State(s); st {
	case "", StatePending, StateApproved, StateRejected, StateExpired, StateDelisted:
		return st, nil
	}
	return "", fmt.Errorf("unknown state %q: use pending, approved, rejected, expired or delisted", s)
}

// Submission is one indicator a researcher submitted, with everything that
// was said about it and where review stands. Duplicate submissions of the
// same indicator while it is pending or approved are merged into one record.
type Submission struct {
	ID         uint64    `json:"id"`
	Indicator  string    `json:"indicator"` // canonical: normalized host, host/path, or wallet address
	Kind       string    `json:"kind"`      // "domain", "url", "address" (lists.Kind names)
	Chain      string    `json:"chain,omitempty"`
	Category   string    `json:"category"`
	Evidence   []string  `json:"evidence,omitempty"`
	Notes      []string  `json:"notes,omitempty"`
	Submitter  string    `json:"submitter"`            // token name of the first submitter
	Submitters []string  `json:"submitters,omitempty"` // everyone who submitted it, first included
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
	State      State     `json:"state"`
	Reviewer   string    `json:"reviewer,omitempty"`
	Decided    time.Time `json:"decided,omitzero"`
	Reason     string    `json:"reason,omitempty"`
	Expires    time.Time `json:"expires,omitzero"` // while approved
}

// Source is the name the matcher and EDE text give this submission.
func (s Submission) Source() string { return "submission:" + strconv.FormatUint(s.ID, 10) }

// NewSubmission is what a submitter sends for one indicator. The caller has
// validated and canonicalized Indicator; Kind is its detected kind.
type NewSubmission struct {
	Indicator string
	Kind      lists.Kind
	Chain     string
	Category  string
	Evidence  []string
	Note      string
	Submitter string
}

// SubmitResult is the stored record for one NewSubmission and whether it was
// merged into a record that already existed.
type SubmitResult struct {
	Submission Submission `json:"submission"`
	Merged     bool       `json:"merged"`
}

// Submit stores items in one committed transaction (concurrent callers are
// grouped into one commit by bbolt's batching). An indicator that already
// has a pending or approved record gets the new evidence, note and submitter
// appended to it instead of a second record.
func (s *Store) Submit(items []NewSubmission) ([]SubmitResult, error) {
	var out []SubmitResult
	err := s.db.Batch(func(tx *bolt.Tx) error {
		out = out[:0] // Batch may run this function more than once
		now := s.now().UTC()
		subs := tx.Bucket(bucketSubmissions)
		index := tx.Bucket(bucketIndicators)
		for _, it := range items {
			if id := index.Get([]byte(it.Indicator)); id != nil {
				var cur Submission
				if err := get(subs, btoi(id), &cur); err != nil {
					return fmt.Errorf("submission for %q: %w", it.Indicator, err)
				}
				if cur.State == StatePending || cur.State == StateApproved {
					mergeInto(&cur, it, now)
					if err := put(subs, cur.ID, cur); err != nil {
						return err
					}
					if err := s.audit(tx, Event{Actor: it.Submitter, Action: ActionMerge, Object: cur.Source(),
						Indicator: cur.Indicator, Reason: mergeReason(it)}); err != nil {
						return err
					}
					out = append(out, SubmitResult{Submission: cur, Merged: true})
					continue
				}
			}
			id, err := subs.NextSequence()
			if err != nil {
				return fmt.Errorf("submission sequence: %w", err)
			}
			sub := Submission{
				ID: id, Indicator: it.Indicator, Kind: it.Kind.String(), Chain: it.Chain, Category: it.Category,
				Submitter: it.Submitter, Submitters: []string{it.Submitter},
				Created: now, Updated: now, State: StatePending,
			}
			mergeInto(&sub, NewSubmission{Evidence: it.Evidence, Note: it.Note}, now)
			if err := put(subs, id, sub); err != nil {
				return err
			}
			if err := index.Put([]byte(it.Indicator), itob(id)); err != nil {
				return fmt.Errorf("index %q: %w", it.Indicator, err)
			}
			if err := s.audit(tx, Event{Actor: it.Submitter, Action: ActionSubmit, Object: sub.Source(),
				Indicator: sub.Indicator, To: string(StatePending)}); err != nil {
				return err
			}
			out = append(out, SubmitResult{Submission: sub})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store submissions: %w", err)
	}
	return out, nil
}

func mergeInto(sub *Submission, it NewSubmission, now time.Time) {
	for _, e := range it.Evidence {
		if !slices.Contains(sub.Evidence, e) {
			sub.Evidence = append(sub.Evidence, e)
		}
	}
	if it.Note != "" {
		sub.Notes = append(sub.Notes, it.Note)
	}
	if it.Submitter != "" && !slices.Contains(sub.Submitters, it.Submitter) {
		sub.Submitters = append(sub.Submitters, it.Submitter)
	}
	sub.Updated = now
}

func mergeReason(it NewSubmission) string {
	return fmt.Sprintf("duplicate submission merged: %d evidence URL(s)", len(it.Evidence))
}

// Submission returns one submission.
func (s *Store) Submission(id uint64) (Submission, error) {
	var sub Submission
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx.Bucket(bucketSubmissions), id, &sub) })
	if err != nil {
		return Submission{}, fmt.Errorf("submission %d: %w", id, err)
	}
	return sub, nil
}

// Filter selects submissions; zero fields match everything.
type Filter struct {
	State     State
	Submitter string // only records this token name submitted (or merged into)
}

// Submissions returns the submissions that match f, oldest first.
func (s *Store) Submissions(f Filter) ([]Submission, error) {
	var out []Submission
	err := s.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketSubmissions, func(sub Submission) error {
			if f.State != "" && sub.State != f.State {
				return nil
			}
			if f.Submitter != "" && !slices.Contains(sub.Submitters, f.Submitter) {
				return nil
			}
			out = append(out, sub)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list submissions: %w", err)
	}
	return out, nil
}

// Decision is a reviewer's verdict on a submission.
type Decision struct {
	Reviewer string
	Reason   string
	TTL      time.Duration // approve/renew: publication lifetime; 0 means the store default
}

// Approve publishes a pending submission until now+TTL. A reviewer who
// submitted (or merged into) the record gets ErrOwnRecord.
func (s *Store) Approve(id uint64, d Decision) (Submission, error) {
	return s.transition(id, d, ActionApprove, []State{StatePending}, StateApproved)
}

// Reject closes a pending submission; reviewers may reject their own.
func (s *Store) Reject(id uint64, d Decision) (Submission, error) {
	return s.transition(id, d, ActionReject, []State{StatePending}, StateRejected)
}

// Renew extends an approved (or expired) submission to now+TTL.
func (s *Store) Renew(id uint64, d Decision) (Submission, error) {
	return s.transition(id, d, ActionRenew, []State{StateApproved, StateExpired}, StateApproved)
}

// Delist unpublishes an approved submission (an appeal upheld, or a
// reviewer's own correction).
func (s *Store) Delist(id uint64, d Decision) (Submission, error) {
	return s.transition(id, d, ActionDelist, []State{StateApproved}, StateDelisted)
}

func (s *Store) transition(id uint64, d Decision, action string, from []State, to State) (Submission, error) {
	var sub Submission
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		sub, err = s.transitionTx(tx, id, d, action, from, to)
		return err
	})
	if err != nil {
		return Submission{}, fmt.Errorf("%s submission %d: %w", action, id, err)
	}
	return sub, nil
}

func (s *Store) transitionTx(tx *bolt.Tx, id uint64, d Decision, action string, from []State, to State) (Submission, error) {
	subs := tx.Bucket(bucketSubmissions)
	var sub Submission
	if err := get(subs, id, &sub); err != nil {
		return sub, err
	}
	if !slices.Contains(from, sub.State) {
		return sub, fmt.Errorf("%w: it is %s", ErrConflict, sub.State)
	}
	if action == ActionApprove && slices.Contains(sub.Submitters, d.Reviewer) {
		return sub, ErrOwnRecord
	}
	now := s.now().UTC()
	prev := sub.State
	sub.State = to
	sub.Updated = now
	if action != ActionExpire { // expiry keeps who decided and when
		sub.Reviewer = d.Reviewer
		sub.Decided = now
	}
	if d.Reason != "" {
		sub.Reason = d.Reason
	}
	switch to {
	case StateApproved:
		ttl := d.TTL
		if ttl <= 0 {
			ttl = s.ttl
		}
		sub.Expires = now.Add(ttl)
	default:
		sub.Expires = time.Time{}
	}
	if err := put(subs, id, sub); err != nil {
		return sub, err
	}
	return sub, s.audit(tx, Event{Actor: d.Reviewer, Action: action, Object: sub.Source(), Indicator: sub.Indicator,
		From: string(prev), To: string(to), Reason: d.Reason})
}

// ExpireDue moves approved submissions whose publication ended to expired
// and returns them. The server calls it periodically and rebuilds the
// matcher when it returns any.
func (s *Store) ExpireDue() ([]Submission, error) {
	now := s.now()
	due := func(tx *bolt.Tx) ([]uint64, error) {
		var ids []uint64
		err := each(tx, bucketSubmissions, func(sub Submission) error {
			if sub.State == StateApproved && !now.Before(sub.Expires) {
				ids = append(ids, sub.ID)
			}
			return nil
		})
		return ids, err
	}
	// Look first with a read transaction: most sweeps find nothing, and a
	// write transaction would fsync for nothing.
	var found bool
	if err := s.db.View(func(tx *bolt.Tx) error {
		ids, err := due(tx)
		found = len(ids) > 0
		return err
	}); err != nil || !found {
		if err != nil {
			return nil, fmt.Errorf("expire submissions: %w", err)
		}
		return nil, nil
	}
	var out []Submission
	err := s.db.Update(func(tx *bolt.Tx) error {
		ids, err := due(tx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			sub, err := s.transitionTx(tx, id, Decision{Reviewer: "system", Reason: "publication period ended"},
				ActionExpire, []State{StateApproved}, StateExpired)
			if err != nil {
				return err
			}
			out = append(out, sub)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expire submissions: %w", err)
	}
	return out, nil
}

// Listing is one published indicator: the entry the matcher compiles, and
// its provenance. lists.Entry has no Source field, so Source travels beside
// it ("submission:<id>", as lists.Hit.Source wants it).
type Listing struct {
	Entry        lists.Entry `json:"-"`
	Source       string      `json:"source"`
	SubmissionID uint64      `json:"submission_id"`
	Evidence     []string    `json:"evidence,omitempty"`
	Submitter    string      `json:"submitter"`
	Reviewer     string      `json:"reviewer"`
	Published    time.Time   `json:"published"`
	Expires      time.Time   `json:"expires"`
}

// Published returns the approved, unexpired indicators, oldest first:
// Entry{Value, Kind, Category, Chain, Action Block, Line 0}.
func (s *Store) Published() ([]Listing, error) {
	now := s.now()
	var out []Listing
	err := s.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketSubmissions, func(sub Submission) error {
			if sub.State != StateApproved || !now.Before(sub.Expires) {
				return nil
			}
			out = append(out, Listing{
				Entry: lists.Entry{
					Value: sub.Indicator, Kind: kindOf(sub.Kind), Action: lists.Block,
					Category: sub.Category, Chain: sub.Chain,
				},
				Source: sub.Source(), SubmissionID: sub.ID, Evidence: sub.Evidence,
				Submitter: sub.Submitter, Reviewer: sub.Reviewer, Published: sub.Decided, Expires: sub.Expires,
			})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list published: %w", err)
	}
	return out, nil
}

func kindOf(name string) lists.Kind {
	for _, k := range []lists.Kind{lists.KindDomain, lists.KindURL, lists.KindAddress, lists.KindLookalike} {
		if k.String() == name {
			return k
		}
	}
	return 0
}

// RunExpiry calls ExpireDue every interval until ctx ends, and onExpired
// (when not nil) with whatever expired, so the server can rebuild its
// matcher. Errors are passed to onError and do not stop the loop.
func (s *Store) RunExpiry(ctx context.Context, interval time.Duration, onExpired func([]Submission), onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		subs, err := s.ExpireDue()
		if err != nil {
			if onError != nil {
				onError(err)
			}
			continue
		}
		if len(subs) > 0 && onExpired != nil {
			onExpired(subs)
		}
	}
}

// Indicator is the listing as a go-memdb catalogue row (catalogue.Catalogue),
// with its provenance: Source "submission:<id>", Reason "submission",
// Expiry the end of publication.
func (l Listing) Indicator() catalogue.Indicator {
	return catalogue.Indicator{
		Value: l.Entry.Value, Kind: l.Entry.Kind, Source: l.Source, Category: l.Entry.Category, Chain: l.Entry.Chain,
		FirstSeen: l.Published, LastSeen: l.Published, Reason: "submission", Expiry: l.Expires,
	}
}
