package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// AppealState is where an appeal stands.
type AppealState string

// Appeal states: open → delisted | dismissed.
const (
	AppealOpen      AppealState = "open"
	AppealDelisted  AppealState = "delisted"
	AppealDismissed AppealState = "dismissed"
)

// ParseAppealState accepts an appeal state name ("" means any).
func ParseAppealState(s string) (AppealState, error) {
	switch st := AppealState(s); st {
	case "", AppealOpen, AppealDelisted, AppealDismissed:
		return st, nil
	}
	return "", fmt.Errorf("unknown appeal state %q: use open, delisted or dismissed", s)
}

// Appeal is a report that an indicator is listed wrongly.
type Appeal struct {
	ID           uint64      `json:"id"`
	Indicator    string      `json:"indicator"`
	Reason       string      `json:"reason"`
	Contact      string      `json:"contact,omitempty"`
	Created      time.Time   `json:"created"`
	State        AppealState `json:"state"`
	SubmissionID uint64      `json:"submission_id,omitempty"` // the published submission when the appeal was filed
	Reviewer     string      `json:"reviewer,omitempty"`
	Decided      time.Time   `json:"decided,omitzero"`
	Decision     string      `json:"decision,omitempty"` // the reviewer's reason
}

func (a Appeal) object() string { return "appeal:" + strconv.FormatUint(a.ID, 10) }

// FileAppeal records an appeal against indicator (canonical form) and
// returns it with its follow code: whoever holds the code may read the
// appeal (AppealByCode); only the code's hash is kept. It is accepted
// whether or not a submission publishes the indicator (it may come from a
// feed); SubmissionID says which one does.
func (s *Store) FileAppeal(indicator, reason, contact string) (Appeal, string, error) {
	var a Appeal
	code, err := randomString(18)
	if err != nil {
		return Appeal{}, "", err
	}
	code = "appeal_" + code
	err = s.db.Batch(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAppeals)
		id, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("appeal sequence: %w", err)
		}
		a = Appeal{ID: id, Indicator: indicator, Reason: reason, Contact: contact, Created: s.now().UTC(), State: AppealOpen}
		if sub, ok, err := publishedTx(tx, indicator); err != nil {
			return err
		} else if ok {
			a.SubmissionID = sub.ID
		}
		if err := put(b, id, a); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAppealCodes).Put([]byte(HashSecret(code)), itob(id)); err != nil {
			return err
		}
		return s.audit(tx, Event{Actor: "public", Action: ActionAppeal, Object: a.object(), Indicator: indicator,
			To: string(AppealOpen), Reason: reason})
	})
	if err != nil {
		return Appeal{}, "", fmt.Errorf("file appeal: %w", err)
	}
	return a, code, nil
}

// AppealByCode returns the appeal a follow code belongs to (ErrNotFound
// for an unknown code).
func (s *Store) AppealByCode(code string) (Appeal, error) {
	var a Appeal
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketAppealCodes).Get([]byte(HashSecret(strings.TrimSpace(code))))
		if id == nil {
			return fmt.Errorf("%w: no appeal has that follow code", ErrNotFound)
		}
		return get(tx.Bucket(bucketAppeals), btoi(id), &a)
	})
	if err != nil {
		return Appeal{}, fmt.Errorf("follow appeal: %w", err)
	}
	return a, nil
}

// publishedTx returns the approved submission for indicator, if any.
func publishedTx(tx *bolt.Tx, indicator string) (Submission, bool, error) {
	id := tx.Bucket(bucketIndicators).Get([]byte(indicator))
	if id == nil {
		return Submission{}, false, nil
	}
	var sub Submission
	if err := get(tx.Bucket(bucketSubmissions), btoi(id), &sub); err != nil {
		return sub, false, err
	}
	return sub, sub.State == StateApproved, nil
}

// Appeals returns the appeals in state (all when ""), oldest first.
func (s *Store) Appeals(state AppealState) ([]Appeal, error) {
	var out []Appeal
	err := s.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketAppeals, func(a Appeal) error {
			if state == "" || a.State == state {
				out = append(out, a)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list appeals: %w", err)
	}
	return out, nil
}

// DelistAppeal upholds an open appeal: the submission that publishes the
// indicator is delisted in the same transaction. When no submission
// publishes it (a feed does, or it was already removed) the error wraps
// ErrConflict and nothing changes.
func (s *Store) DelistAppeal(id uint64, d Decision) (Appeal, Submission, error) {
	var a Appeal
	var sub Submission
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if a, err = s.decideAppealTx(tx, id, d, AppealDelisted); err != nil {
			return err
		}
		pub, ok, err := publishedTx(tx, a.Indicator)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %q is not published by a submission (a feed may list it: add an allow entry instead)",
				ErrConflict, a.Indicator)
		}
		reason := d.Reason
		if reason == "" {
			reason = "appeal " + strconv.FormatUint(a.ID, 10) + " upheld"
		}
		sub, err = s.transitionTx(tx, pub.ID, Decision{Reviewer: d.Reviewer, Reason: reason}, ActionDelist,
			[]State{StateApproved}, StateDelisted)
		return err
	})
	if err != nil {
		return Appeal{}, Submission{}, fmt.Errorf("delist appeal %d: %w", id, err)
	}
	return a, sub, nil
}

// DismissAppeal closes an open appeal without changing the listing.
func (s *Store) DismissAppeal(id uint64, d Decision) (Appeal, error) {
	var a Appeal
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		a, err = s.decideAppealTx(tx, id, d, AppealDismissed)
		return err
	})
	if err != nil {
		return Appeal{}, fmt.Errorf("dismiss appeal %d: %w", id, err)
	}
	return a, nil
}

func (s *Store) decideAppealTx(tx *bolt.Tx, id uint64, d Decision, to AppealState) (Appeal, error) {
	b := tx.Bucket(bucketAppeals)
	var a Appeal
	if err := get(b, id, &a); err != nil {
		return a, err
	}
	if a.State != AppealOpen {
		return a, fmt.Errorf("%w: it is %s", ErrConflict, a.State)
	}
	a.State = to
	a.Reviewer = d.Reviewer
	a.Decided = s.now().UTC()
	a.Decision = d.Reason
	if err := put(b, id, a); err != nil {
		return a, err
	}
	action := ActionDismiss
	if to == AppealDelisted {
		action = ActionDelist
	}
	return a, s.audit(tx, Event{Actor: d.Reviewer, Action: action, Object: a.object(), Indicator: a.Indicator,
		From: string(AppealOpen), To: string(to), Reason: d.Reason})
}
