package health

import (
	"strings"
	"testing"
	"time"
)

func TestReadinessCheck(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	serving := func() []string { return []string{"udp 127.0.0.1:53"} }
	for _, tc := range []struct {
		name   string
		r      Readiness
		ready  bool
		reason string
	}{
		{"all well", Readiness{Names: func() int { return 10 }, DNSListeners: serving, UpstreamAnswered: func() time.Time { return now.Add(-10 * time.Second) }}, true, ""},
		{"no names", Readiness{Names: func() int { return 0 }, DNSListeners: serving, UpstreamAnswered: func() time.Time { return now }}, false, "no lists loaded"},
		{"not serving", Readiness{Names: func() int { return 1 }, DNSListeners: func() []string { return nil }, UpstreamAnswered: func() time.Time { return now }}, false, "DNS listeners are not serving"},
		{"upstream never answered", Readiness{Names: func() int { return 1 }, DNSListeners: serving, UpstreamAnswered: func() time.Time { return time.Time{} }}, false, "no upstream has answered yet"},
		{"upstream silent for 2 minutes", Readiness{Names: func() int { return 1 }, DNSListeners: serving, UpstreamAnswered: func() time.Time { return now.Add(-2 * time.Minute) }}, false, "no upstream answered in the last 1m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.Now = func() time.Time { return now }
			st := tc.r.Check()
			if st.Ready != tc.ready || (tc.reason != "" && !strings.Contains(strings.Join(st.Reasons, "; "), tc.reason)) {
				t.Errorf("ready %v, reasons %q; want %v and %q", st.Ready, st.Reasons, tc.ready, tc.reason)
			}
		})
	}
}

func TestLocal(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0:53": "127.0.0.1:53", "[::]:53": "[::1]:53", ":53": "127.0.0.1:53", "192.0.2.1:53": "192.0.2.1:53"} {
		if got := Local(in); got != want {
			t.Errorf("Local(%q) = %q, want %q", in, got, want)
		}
	}
}
