package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scamblock/scamblock/lists"
)

// clock is a settable time source for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openTest(t *testing.T) (*Store, *clock, string) {
	t.Helper()
	dir := t.TempDir()
	clk := &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s, err := Open(dir, Options{Now: clk.Now, LockTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk, dir
}

func domain(name, submitter string, evidence ...string) NewSubmission {
	return NewSubmission{Indicator: name, Kind: lists.KindDomain, Category: "scam", Evidence: evidence, Submitter: submitter}
}

func submitOne(t *testing.T, s *Store, n NewSubmission) SubmitResult {
	t.Helper()
	res, err := s.Submit([]NewSubmission{n})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func TestSubmitMergesDuplicates(t *testing.T) {
	s, _, _ := openTest(t)
	first := submitOne(t, s, domain("evil.example", "alice", "https://a.example/1"))
	if first.Merged || first.Submission.State != StatePending {
		t.Fatalf("first submission: %+v", first)
	}
	second := submitOne(t, s, NewSubmission{Indicator: "evil.example", Kind: lists.KindDomain, Category: "scam",
		Evidence: []string{"https://a.example/1", "https://b.example/2"}, Note: "seen in SMS", Submitter: "bob"})
	if !second.Merged || second.Submission.ID != first.Submission.ID {
		t.Fatalf("duplicate was not merged: %+v", second)
	}
	got := second.Submission
	if want := []string{"https://a.example/1", "https://b.example/2"}; !slices.Equal(got.Evidence, want) {
		t.Errorf("evidence = %v, want %v (appended, not duplicated)", got.Evidence, want)
	}
	if want := []string{"alice", "bob"}; !slices.Equal(got.Submitters, want) {
		t.Errorf("submitters = %v, want %v", got.Submitters, want)
	}
	if !slices.Equal(got.Notes, []string{"seen in SMS"}) {
		t.Errorf("notes = %v", got.Notes)
	}
	all, err := s.Submissions(Filter{})
	if err != nil || len(all) != 1 {
		t.Fatalf("submissions = %d (%v), want 1 record", len(all), err)
	}
}

func TestSameIndicatorTwiceInOneBatchIsOneRecord(t *testing.T) {
	s, _, _ := openTest(t)
	res, err := s.Submit([]NewSubmission{domain("x.example", "alice"), domain("x.example", "alice", "https://e.example/")})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Merged || !res[1].Merged || res[0].Submission.ID != res[1].Submission.ID {
		t.Fatalf("results = %+v", res)
	}
}

func TestResubmissionAfterRejectionIsANewRecord(t *testing.T) {
	s, _, _ := openTest(t)
	first := submitOne(t, s, domain("maybe.example", "alice"))
	if _, err := s.Reject(first.Submission.ID, Decision{Reviewer: "rita", Reason: "no evidence"}); err != nil {
		t.Fatal(err)
	}
	second := submitOne(t, s, domain("maybe.example", "alice", "https://proof.example/"))
	if second.Merged || second.Submission.ID == first.Submission.ID {
		t.Fatalf("resubmission merged into the rejected record: %+v", second)
	}
}

func TestReviewTransitions(t *testing.T) {
	s, _, _ := openTest(t)
	sub := submitOne(t, s, domain("evil.example", "alice")).Submission
	submitOne(t, s, domain("evil.example", "bob")) // bob merged evidence: he may not approve either

	tests := []struct {
		name    string
		do      func() (Submission, error)
		wantErr error
	}{
		{"submitter cannot approve own submission", func() (Submission, error) {
			return s.Approve(sub.ID, Decision{Reviewer: "alice"})
		}, ErrOwnRecord},
		{"co-submitter cannot approve", func() (Submission, error) {
			return s.Approve(sub.ID, Decision{Reviewer: "bob"})
		}, ErrOwnRecord},
		{"unknown id is not found", func() (Submission, error) {
			return s.Approve(999, Decision{Reviewer: "rita"})
		}, ErrNotFound},
		{"another reviewer approves", func() (Submission, error) {
			return s.Approve(sub.ID, Decision{Reviewer: "rita", TTL: 24 * time.Hour})
		}, nil},
		{"approved cannot be rejected", func() (Submission, error) {
			return s.Reject(sub.ID, Decision{Reviewer: "rita", Reason: "x"})
		}, ErrConflict},
		{"approved cannot be approved again", func() (Submission, error) {
			return s.Approve(sub.ID, Decision{Reviewer: "rita"})
		}, ErrConflict},
		{"approved can be delisted", func() (Submission, error) {
			return s.Delist(sub.ID, Decision{Reviewer: "rita", Reason: "owner cleaned up"})
		}, nil},
		{"delisted cannot be renewed", func() (Submission, error) {
			return s.Renew(sub.ID, Decision{Reviewer: "rita"})
		}, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.do()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestPublishedIsApprovedAndUnexpired(t *testing.T) {
	s, clk, _ := openTest(t)
	a := submitOne(t, s, domain("a.example", "alice")).Submission
	b := submitOne(t, s, NewSubmission{Indicator: "0xabc", Kind: lists.KindAddress, Chain: "evm", Category: "drainer",
		Submitter: "alice"}).Submission
	submitOne(t, s, domain("pending.example", "alice"))
	if _, err := s.Approve(a.ID, Decision{Reviewer: "rita", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Approve(b.ID, Decision{Reviewer: "rita"}); err != nil { // default TTL, 180 days
		t.Fatal(err)
	}
	pub, err := s.Published()
	if err != nil {
		t.Fatal(err)
	}
	if len(pub) != 2 {
		t.Fatalf("published = %+v, want a.example and the address", pub)
	}
	want := lists.Entry{Value: "a.example", Kind: lists.KindDomain, Action: lists.Block, Category: "scam"}
	if pub[0].Source != "submission:"+strconv.FormatUint(a.ID, 10) || !entryEqual(pub[0].Entry, want) {
		t.Errorf("published[0] = %+v %+v", pub[0].Source, pub[0].Entry)
	}
	if pub[1].Entry.Kind != lists.KindAddress || pub[1].Entry.Chain != "evm" || pub[1].Entry.Category != "drainer" {
		t.Errorf("published[1] = %+v", pub[1].Entry)
	}
	if ind := pub[0].Indicator(); ind.Source != pub[0].Source || ind.Reason != "submission" || ind.Expiry != pub[0].Expires {
		t.Errorf("catalogue row = %+v", ind)
	}
	if got := pub[1].Expires.Sub(pub[1].Published); got != DefaultTTL {
		t.Errorf("default publication = %v, want %v", got, DefaultTTL)
	}

	clk.Advance(2 * time.Hour) // a.example's hour is over
	pub, _ = s.Published()
	if len(pub) != 1 || pub[0].Entry.Value != "0xabc" {
		t.Fatalf("after expiry published = %+v, want only the address", pub)
	}
	expired, err := s.ExpireDue()
	if err != nil || len(expired) != 1 || expired[0].ID != a.ID || expired[0].State != StateExpired {
		t.Fatalf("ExpireDue = %+v, %v", expired, err)
	}
	if expired[0].Reviewer != "rita" {
		t.Errorf("expiry overwrote the reviewer: %q", expired[0].Reviewer)
	}
	renewed, err := s.Renew(a.ID, Decision{Reviewer: "rita", TTL: 48 * time.Hour})
	if err != nil || renewed.State != StateApproved {
		t.Fatalf("renew = %+v, %v", renewed, err)
	}
	if pub, _ = s.Published(); len(pub) != 2 {
		t.Fatalf("renewed indicator not published again: %+v", pub)
	}
}

func entryEqual(a, b lists.Entry) bool {
	return a.Value == b.Value && a.Kind == b.Kind && a.Action == b.Action && a.Category == b.Category &&
		a.Chain == b.Chain && a.Line == b.Line && a.Exact == b.Exact
}

func TestAppealDelistUnpublishesAndAudits(t *testing.T) {
	s, _, _ := openTest(t)
	sub := submitOne(t, s, domain("shop.example", "alice")).Submission
	if _, err := s.Approve(sub.ID, Decision{Reviewer: "rita"}); err != nil {
		t.Fatal(err)
	}
	ap, code, err := s.FileAppeal("shop.example", "this is my bakery", "owner@shop.example")
	if err != nil {
		t.Fatal(err)
	}
	if ap.SubmissionID != sub.ID || ap.State != AppealOpen {
		t.Fatalf("appeal = %+v", ap)
	}
	ap, delisted, err := s.DelistAppeal(ap.ID, Decision{Reviewer: "rita", Reason: "false positive"})
	if err != nil {
		t.Fatal(err)
	}
	if ap.State != AppealDelisted || delisted.State != StateDelisted {
		t.Fatalf("appeal %+v submission %+v", ap, delisted)
	}
	// The filer follows it with the code.
	if got, err := s.AppealByCode(code); err != nil || got.State != AppealDelisted || got.Decision != "false positive" {
		t.Errorf("by code: %+v, %v", got, err)
	}
	if _, err := s.AppealByCode(code + "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("wrong code: %v, want ErrNotFound", err)
	}
	if pub, _ := s.Published(); len(pub) != 0 {
		t.Fatalf("delisted indicator still published: %+v", pub)
	}
	if _, _, err := s.DelistAppeal(ap.ID, Decision{Reviewer: "rita"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second delist err = %v, want ErrConflict", err)
	}
	evs, err := s.Audit(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Action+" "+e.Object+" "+e.From+">"+e.To)
	}
	want := []string{
		"submit submission:1 >pending",
		"approve submission:1 pending>approved",
		"appeal appeal:1 >open",
		"delist appeal:1 open>delisted",
		"delist submission:1 approved>delisted",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit:\n got %q\nwant %q", got, want)
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
	}
}

func TestDelistOfUnpublishedIndicatorChangesNothing(t *testing.T) {
	s, _, _ := openTest(t)
	ap, _, err := s.FileAppeal("feed-listed.example", "not a scam", "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.DelistAppeal(ap.ID, Decision{Reviewer: "rita"})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "allow entry") {
		t.Fatalf("err = %v, want a conflict that says to add an allow entry", err)
	}
	if open, _ := s.Appeals(AppealOpen); len(open) != 1 || open[0].ID != ap.ID {
		t.Fatalf("open appeals %+v after a failed delist, want appeal %d still open (transaction rolled back)", open, ap.ID)
	}
	if got, err := s.DismissAppeal(ap.ID, Decision{Reviewer: "rita", Reason: "feed entry"}); err != nil || got.State != AppealDismissed {
		t.Fatalf("dismiss = %+v, %v", got, err)
	}
}

func TestTokens(t *testing.T) {
	s, _, _ := openTest(t)
	secret, tok, err := s.CreateToken("alice", RoleReviewer, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sbk_") || len(secret) < 40 {
		t.Fatalf("secret %q too short or unmarked", secret)
	}
	if tok.Hash != HashSecret(secret) || strings.Contains(tok.Hash, secret) {
		t.Fatal("token stores something other than the secret's SHA-256")
	}
	got, err := s.Authenticate(secret)
	if err != nil || got.Name != "alice" || got.Role != RoleReviewer {
		t.Fatalf("authenticate = %+v, %v", got, err)
	}
	if _, err := s.Authenticate(secret + "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("wrong secret err = %v", err)
	}
	if _, _, err := s.CreateToken("alice", RoleAdmin, "cli"); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("duplicate name err = %v", err)
	}
	if _, _, err := s.CreateToken("bob", Role("root"), "cli"); !errors.Is(err, ErrInvalidRole) {
		t.Fatalf("bad role err = %v", err)
	}
	if _, _, err := s.CreateToken("has space", RoleAdmin, "cli"); err == nil {
		t.Fatal("name with a space accepted")
	}
	if _, err := s.RevokeToken(strconv.FormatUint(tok.ID, 10), "cli"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(secret); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoked token authenticated: %v", err)
	}
	if _, err := s.RevokeToken("alice", "cli"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking twice err = %v", err)
	}
	if _, _, err := s.CreateToken("alice", RoleSubmitter, "cli"); err != nil {
		t.Fatalf("name of a revoked token not reusable: %v", err)
	}
	toks, _ := s.Tokens()
	if len(toks) != 2 || toks[0].Active() || !toks[1].Active() {
		t.Fatalf("tokens = %+v", toks)
	}
}

func TestRoleOrder(t *testing.T) {
	tests := []struct {
		have, need Role
		want       bool
	}{
		{RoleAdmin, RoleReviewer, true},
		{RoleReviewer, RoleSubmitter, true},
		{RoleSubmitter, RoleReviewer, false},
		{RoleReviewer, RoleAdmin, false},
		{Role(""), RoleSubmitter, false},
	}
	for _, tt := range tests {
		if got := tt.have.Allows(tt.need); got != tt.want {
			t.Errorf("%q.Allows(%q) = %v", tt.have, tt.need, got)
		}
	}
}

func TestSecondOpenSaysWhoHoldsTheDatabase(t *testing.T) {
	_, _, dir := openTest(t)
	_, err := Open(dir, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("err = %v, want ErrInUse", err)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) || !strings.Contains(err.Error(), "--data-dir") {
		t.Fatalf("error %q does not name the pid and the fix", err)
	}
}

func TestRecordsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sub := submitOne(t, s, domain("kept.example", "alice"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, pidFileName)); !os.IsNotExist(err) {
		t.Errorf("pid file left behind after Close: %v", err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Submission(sub.Submission.ID)
	if err != nil || got.Indicator != "kept.example" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkSubmitConcurrent(b *testing.B) {
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var n int64
	var mu sync.Mutex
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			name := "n" + strconv.FormatInt(n, 10) + ".bench.example"
			mu.Unlock()
			if _, err := s.Submit([]NewSubmission{domain(name, "bench")}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func TestRunExpiryReportsExpiredSubmissions(t *testing.T) {
	s, clk, _ := openTest(t)
	sub := submitOne(t, s, domain("short.example", "alice")).Submission
	if _, err := s.Approve(sub.ID, Decision{Reviewer: "rita", TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan []Submission, 1)
	done := make(chan struct{})
	go func() {
		s.RunExpiry(ctx, 5*time.Millisecond, func(subs []Submission) { got <- subs }, func(err error) { t.Error(err) })
		close(done)
	}()
	select {
	case subs := <-got:
		if len(subs) != 1 || subs[0].ID != sub.ID || subs[0].State != StateExpired {
			t.Fatalf("expired = %+v", subs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("RunExpiry did not report the expired submission")
	}
	cancel()
	<-done
}
