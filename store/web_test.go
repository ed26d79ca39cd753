package store

import (
	"errors"
	"testing"
	"time"
)

func TestSessionSurvivesRestartAndEnds(t *testing.T) {
	s, clk, dir := openTest(t)
	_, tok, err := s.CreateToken("alice", RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	id, sess, err := s.CreateSession(tok)
	if err != nil {
		t.Fatal(err)
	}
	if sess.CSRF == "" || sess.TokenName != "alice" || sess.Role != RoleAdmin {
		t.Fatalf("session %+v", sess)
	}
	lim := SessionLimits{Idle: 30 * time.Minute, Max: 2 * time.Hour}
	// A restart keeps the session (it is in bbolt).
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Session(id, lim); err != nil || got.CSRF != sess.CSRF {
		t.Fatalf("after restart: %+v, %v", got, err)
	}
	if _, err := s.Session(id+"x", lim); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
	// Used every 20 minutes it lives until the maximum age.
	for range 5 {
		clk.Advance(20 * time.Minute)
		if _, err := s.Session(id, lim); err != nil {
			t.Fatalf("after %s: %v", clk.Now().Sub(sess.Created), err)
		}
	}
	clk.Advance(21 * time.Minute) // 2h01m after sign-in
	if _, err := s.Session(id, lim); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("past max age: %v, want ErrSessionEnded", err)
	}
	// Idle and revoked sessions end too.
	id2, _, _ := s.CreateSession(tok)
	clk.Advance(31 * time.Minute)
	if _, err := s.Session(id2, lim); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("idle: %v, want ErrSessionEnded", err)
	}
	id3, _, _ := s.CreateSession(tok)
	if _, err := s.RevokeToken("alice", "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(id3, lim); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("revoked token: %v, want ErrSessionEnded", err)
	}
}

func TestSignOutAndPrune(t *testing.T) {
	s, clk, _ := openTest(t)
	_, tok, _ := s.CreateToken("bob", RoleSubmitter, "test")
	lim := SessionLimits{Idle: time.Hour, Max: 2 * time.Hour}
	id, _, _ := s.CreateSession(tok)
	if err := s.DeleteSession(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(id, lim); !errors.Is(err, ErrNotFound) {
		t.Errorf("signed out: %v, want ErrNotFound", err)
	}
	s.CreateSession(tok)
	clk.Advance(2 * time.Hour)
	s.CreateSession(tok)
	if n, err := s.PruneSessions(lim); err != nil || n != 1 {
		t.Errorf("pruned %d (%v), want 1", n, err)
	}
}

func TestAllowlistKeepsWhoWhenWhy(t *testing.T) {
	s, clk, _ := openTest(t)
	e, err := s.AddAllow("bakery.example", "our neighbour's shop", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if e.Actor != "alice" || e.Reason != "our neighbour's shop" || !e.Created.Equal(clk.Now()) {
		t.Errorf("entry %+v", e)
	}
	if _, err := s.AddAllow("bakery.example", "again", "alice"); !errors.Is(err, ErrConflict) {
		t.Errorf("second add: %v, want ErrConflict", err)
	}
	if got, ok, err := s.AllowEntryFor("Shop.Bakery.Example."); err != nil || !ok || got.Name != "bakery.example" {
		t.Errorf("subdomain: %+v %v %v, want the bakery.example entry", got, ok, err)
	}
	if _, ok, _ := s.AllowEntryFor("example"); ok {
		t.Error("a parent of an allowed name is not allowed")
	}
	names, _ := s.AllowNames()
	if len(names) != 1 || names[0] != "bakery.example" {
		t.Errorf("names %v", names)
	}
	if _, err := s.RemoveAllow("bakery.example", "closed", "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveAllow("bakery.example", "again", "carol"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: %v, want ErrNotFound", err)
	}
	evs, _ := s.Audit(0, 0)
	var actions []string
	for _, ev := range evs {
		if ev.Object == "allow:bakery.example" {
			actions = append(actions, ev.Actor+" "+ev.Action+" "+ev.Reason)
		}
	}
	want := []string{"alice allow-add our neighbour's shop", "carol allow-remove closed"}
	if len(actions) != 2 || actions[0] != want[0] || actions[1] != want[1] {
		t.Errorf("audit %q, want %q", actions, want)
	}
}
