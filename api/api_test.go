package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/store"
)

// fixture is a real API on a loopback port over a fresh store, with one
// token per test user: ada (admin), rita and ray (reviewers), sam and sue
// (submitters).
type fixture struct {
	t       *testing.T
	store   *store.Store
	srv     *httptest.Server
	tokens  map[string]string
	changes atomic.Int32
}

func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{t: t, store: s, tokens: map[string]string{}}
	for name, role := range map[string]store.Role{
		"ada": store.RoleAdmin, "rita": store.RoleReviewer, "ray": store.RoleReviewer,
		"sam": store.RoleSubmitter, "sue": store.RoleSubmitter,
	} {
		secret, _, err := s.CreateToken(name, role, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[name] = secret
	}
	opts := Options{
		Store:             s,
		OnPublishedChange: func() { f.changes.Add(1) },
		Feeds:             stubFeeds{},
		Checker:           stubChecker{},
		Addresses:         stubAddresses(),
		Metrics:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "up 1\n") }),
	}
	if mod != nil {
		mod(&opts)
	}
	f.srv = httptest.NewServer(New(opts))
	t.Cleanup(f.srv.Close)
	return f
}

type stubFeeds struct{}

func (stubFeeds) Status() any { return map[string]any{"feeds": []string{"metamask"}} }

// stubChecker lists "listed.com"; names without a dot are bad input.
type stubChecker struct{}

func (stubChecker) Check(_ context.Context, ind string) (any, error) {
	if !strings.Contains(ind, ".") {
		return nil, fmt.Errorf("%q: %w", ind, ErrBadIndicator)
	}
	return map[string]any{"indicator": ind, "listed": ind == "listed.com"}, nil
}

// stubAddresses accepts EVM-shaped addresses and lower-cases them, as
// package wallet does.
func stubAddresses() AddressParser {
	return AddressParserFunc(func(s string) (string, string, error) {
		if len(s) == 42 && strings.HasPrefix(s, "0x") && strings.Trim(s[2:], "0123456789abcdefABCDEF") == "" {
			return "evm", strings.ToLower(s), nil
		}
		return "", "", &lists.RejectError{Reason: "unknown-format", Input: s, Detail: "no chain matches"}
	})
}

// do sends body (a string is sent as is, anything else as JSON) with the
// named user's token ("" for none) and returns the status and body.
func (f *fixture) do(method, path, user string, body any) (int, []byte, http.Header) {
	f.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, r)
	if err != nil {
		f.t.Fatal(err)
	}
	if user != "" {
		secret, ok := f.tokens[user]
		if !ok {
			secret = user // a raw (unknown) token
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

func (f *fixture) client(user string) *Client {
	return &Client{Server: f.srv.URL, Token: f.tokens[user]}
}

// pending submits name as sam and returns the submission id.
func (f *fixture) pending(name string) uint64 {
	f.t.Helper()
	res, err := f.client("sam").Submit(context.Background(), SubmitRequest{Indicator: name})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Results[0].Submission.ID
}

// published submits name as sam and has rita approve it.
func (f *fixture) published(name string) uint64 {
	f.t.Helper()
	id := f.pending(name)
	if _, err := f.client("rita").Approve(context.Background(), id, DecisionRequest{}); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func (f *fixture) appeal(name string) uint64 {
	f.t.Helper()
	ap, err := f.client("").Appeal(context.Background(), AppealRequest{Indicator: name, Reason: "mine"})
	if err != nil {
		f.t.Fatal(err)
	}
	return ap.ID
}

func errorOf(t *testing.T, body []byte) ErrorResponse {
	t.Helper()
	var e ErrorResponse
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	return e
}

// TestAuthorizationMatrix sends every endpoint a request without a token,
// with an unknown token, with a role one step too low and with the right
// role.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.AppealBurst = 1000 })
	n := 0
	fresh := func() string { n++; return fmt.Sprintf("m%d.matrix-test.com", n) }
	type endpoint struct {
		method string
		path   func() string // built fresh for each request: the 2xx case consumes state
		body   any
		need   store.Role // "" = public
		low    string     // a user whose role is one step too low
		right  string     // a user with the right role
	}
	const pub = store.Role("")
	id := func(format string, mk func() uint64) func() string {
		return func() string { return fmt.Sprintf(format, mk()) }
	}
	static := func(p string) func() string { return func() string { return p } }
	tokN := 0
	endpoints := []endpoint{
		{"POST", static("/v1/submissions"), nil, store.RoleSubmitter, "", "sam"},
		{"GET", static("/v1/submissions?state=pending"), nil, store.RoleSubmitter, "", "sam"},
		{"GET", id("/v1/submissions/%d", func() uint64 { return f.pending(fresh()) }), nil, store.RoleSubmitter, "", "sam"},
		{"POST", id("/v1/submissions/%d/approve", func() uint64 { return f.pending(fresh()) }), nil, store.RoleReviewer, "sam", "rita"},
		{"POST", id("/v1/submissions/%d/reject", func() uint64 { return f.pending(fresh()) }), DecisionRequest{Reason: "no"}, store.RoleReviewer, "sam", "rita"},
		{"POST", id("/v1/submissions/%d/renew", func() uint64 { return f.published(fresh()) }), nil, store.RoleReviewer, "sam", "ray"},
		{"POST", id("/v1/submissions/%d/delist", func() uint64 { return f.published(fresh()) }), DecisionRequest{Reason: "wrong"}, store.RoleReviewer, "sam", "ray"},
		{"GET", static("/v1/appeals"), nil, store.RoleReviewer, "sam", "rita"},
		{"POST", id("/v1/appeals/%d/delist", func() uint64 { name := fresh(); f.published(name); return f.appeal(name) }), nil, store.RoleReviewer, "sam", "ray"},
		{"POST", id("/v1/appeals/%d/dismiss", func() uint64 { return f.appeal(fresh()) }), nil, store.RoleReviewer, "sam", "rita"},
		{"GET", static("/v1/audit"), nil, store.RoleAdmin, "rita", "ada"},
		{"POST", static("/v1/tokens"), nil, store.RoleAdmin, "rita", "ada"},
		{"GET", static("/v1/tokens"), nil, store.RoleAdmin, "rita", "ada"},
		{"DELETE", func() string {
			tokN++
			name := fmt.Sprintf("victim%d", tokN)
			if _, _, err := f.store.CreateToken(name, store.RoleSubmitter, "test"); err != nil {
				t.Fatal(err)
			}
			return "/v1/tokens/" + name
		}, nil, store.RoleAdmin, "rita", "ada"},
		{"GET", static("/v1/allowlist"), nil, store.RoleReviewer, "sam", "rita"},
		{"POST", static("/v1/allowlist"), nil, store.RoleAdmin, "rita", "ada"},
		{"DELETE", func() string {
			name := fresh()
			if _, err := f.store.AddAllow(name, "x", "test"); err != nil {
				t.Fatal(err)
			}
			return "/v1/allowlist/" + name
		}, nil, store.RoleAdmin, "rita", "ada"},
		{"POST", static("/v1/appeals"), nil, pub, "", ""},
		{"GET", static("/v1/export?format=domains"), nil, pub, "", ""},
		{"GET", static("/v1/feeds"), nil, pub, "", ""},
		{"GET", static("/v1/check/listed.com"), nil, pub, "", ""},
		{"POST", static("/v1/check"), []string{"listed.com"}, pub, "", ""},
		{"GET", static("/healthz"), nil, pub, "", ""},
		{"GET", static("/metrics"), nil, pub, "", ""},
	}
	bodyFor := func(e endpoint, path string) any {
		if e.body != nil {
			return e.body
		}
		switch {
		case e.method == "POST" && path == "/v1/submissions":
			return SubmitRequest{Indicator: fresh()}
		case e.method == "POST" && path == "/v1/tokens":
			tokN++
			return TokenRequest{Name: fmt.Sprintf("new%d", tokN), Role: "submitter"}
		case e.method == "POST" && path == "/v1/allowlist":
			return AllowRequest{Name: fresh(), Reason: "x"}
		case e.method == "POST" && path == "/v1/appeals":
			return AppealRequest{Indicator: fresh(), Reason: "mine"}
		}
		return nil
	}
	for _, e := range endpoints {
		call := func(user string) (int, []byte, http.Header) {
			p := e.path()
			return f.do(e.method, p, user, bodyFor(e, p))
		}
		name := e.method + " " + regexp.MustCompile(`/[0-9]+`).ReplaceAllString(strings.SplitN(e.path(), "?", 2)[0], "/{id}")
		if e.need == pub {
			t.Run(name+" is public", func(t *testing.T) {
				if st, body, _ := call(""); st/100 != 2 {
					t.Fatalf("no token: %d %s", st, body)
				}
			})
			continue
		}
		t.Run(name+" without a token is 401", func(t *testing.T) {
			st, _, h := call("")
			if st != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("status %d, WWW-Authenticate %q", st, h.Get("WWW-Authenticate"))
			}
		})
		t.Run(name+" with an unknown token is 401", func(t *testing.T) {
			st, _, h := call("sbk_not-a-real-token")
			if st != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), "invalid_token") {
				t.Fatalf("status %d, WWW-Authenticate %q", st, h.Get("WWW-Authenticate"))
			}
		})
		if e.low != "" {
			t.Run(name+" with too low a role is 403", func(t *testing.T) {
				if st, body, _ := call(e.low); st != http.StatusForbidden {
					t.Fatalf("status %d %s", st, body)
				}
			})
		}
		t.Run(name+" with the right role succeeds", func(t *testing.T) {
			if st, body, _ := call(e.right); st/100 != 2 {
				t.Fatalf("status %d %s", st, body)
			}
		})
		t.Run(name+" with a higher role succeeds", func(t *testing.T) {
			if st, body, _ := call("ada"); st/100 != 2 {
				t.Fatalf("status %d %s", st, body)
			}
		})
	}
}

func TestRevokedTokenIs401(t *testing.T) {
	f := newFixture(t, nil)
	if _, err := f.store.RevokeToken("sam", "test"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := f.do("GET", "/v1/submissions", "sam", nil); st != http.StatusUnauthorized {
		t.Fatalf("revoked token: status %d, want 401", st)
	}
}

func TestNobodyApprovesTheirOwnSubmission(t *testing.T) {
	f := newFixture(t, nil)
	// rita (a reviewer) submits; she may not approve, ray may.
	res, err := f.client("rita").Submit(context.Background(), SubmitRequest{Indicator: "self.com"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Results[0].Submission.ID
	st, body, _ := f.do("POST", fmt.Sprintf("/v1/submissions/%d/approve", id), "rita", nil)
	if st != http.StatusForbidden || !strings.Contains(errorOf(t, body).Error, "another reviewer") {
		t.Fatalf("self-approval: %d %s", st, body)
	}
	if st, body, _ := f.do("POST", fmt.Sprintf("/v1/submissions/%d/approve", id), "ray", nil); st != http.StatusOK {
		t.Fatalf("approval by another reviewer: %d %s", st, body)
	}
}

func TestSubmittersSeeOnlyTheirOwnSubmissions(t *testing.T) {
	f := newFixture(t, nil)
	samID := f.pending("sams.com")
	if _, err := f.client("sue").Submit(context.Background(), SubmitRequest{Indicator: "sues.com"}); err != nil {
		t.Fatal(err)
	}
	subs, err := f.client("sue").Submissions(context.Background(), "")
	if err != nil || len(subs) != 1 || subs[0].Indicator != "sues.com" {
		t.Fatalf("sue sees %+v (%v)", subs, err)
	}
	if st, _, _ := f.do("GET", fmt.Sprintf("/v1/submissions/%d", samID), "sue", nil); st != http.StatusNotFound {
		t.Fatalf("sue reading sam's submission: %d, want 404", st)
	}
	if subs, _ := f.client("rita").Submissions(context.Background(), "pending"); len(subs) != 2 {
		t.Fatalf("reviewer sees %d pending, want 2", len(subs))
	}
}

func TestSubmissionValidation(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBodyBytes = 4096; o.MaxIndicators = 3 })
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"unknown JSON field is rejected and named", `{"indicator":"a.com","colour":"red"}`, 400, "colour"},
		{"missing indicators", `{"category":"scam"}`, 400, "indicators"},
		{"wrong JSON type names the field", `{"indicators":"a.com"}`, 400, "indicators"},
		{"invalid host names its index", `{"indicators":["ok.com","-bad-.com"]}`, 400, "indicators[1]"},
		{"IP address is refused", `{"indicator":"192.0.2.1"}`, 400, "indicator"},
		{"all-digit TLD is refused", `{"indicator":"evil.123"}`, 400, "indicator"},
		{"popular site is guarded", `{"indicator":"google.com"}`, 422, "indicator"},
		{"www of a popular site is guarded", `{"indicator":"https://www.coinbase.com/"}`, 422, "indicator"},
		{"public suffix is guarded", `{"indicator":"co.uk"}`, 422, "indicator"},
		{"invalid wallet address", `{"indicator":"0x1234"}`, 400, "indicator"},
		{"ftp evidence is refused", `{"indicator":"a.com","evidence":["ftp://x.com/f"]}`, 400, "evidence[0]"},
		{"relative evidence is refused", `{"indicator":"a.com","evidence":["https://ok.com/","/screenshot.png"]}`, 400, "evidence[1]"},
		{"bad category", `{"indicator":"a.com","category":"Bad Cat"}`, 400, "category"},
		{"too many indicators", `{"indicators":["a.com","b.com","c.com","d.com"]}`, 400, "indicators"},
		{"two JSON values", `{"indicator":"a.com"}{"indicator":"b.com"}`, 400, ""},
		{"not JSON", `indicator=a.com`, 400, ""},
		{"body over the limit is 413", `{"indicator":"a.com","note":"` + strings.Repeat("x", 5000) + `"}`, 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body, _ := f.do("POST", "/v1/submissions", "sam", tt.body)
			if st != tt.status {
				t.Fatalf("status %d, want %d: %s", st, tt.status, body)
			}
			e := errorOf(t, body)
			if e.Field != tt.field {
				t.Errorf("field %q, want %q (%s)", e.Field, tt.field, e.Error)
			}
			if tt.field != "" && !strings.HasPrefix(e.Error, tt.field) {
				t.Errorf("message %q does not start with the field", e.Error)
			}
		})
	}
	if subs, _ := f.store.Submissions(store.Filter{}); len(subs) != 0 {
		t.Fatalf("a rejected request stored %d records; requests are all or nothing", len(subs))
	}
}

func TestIndicatorsAreCanonicalized(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		in, value, kind, chain string
	}{
		{"Evil.Com.", "evil.com", "domain", ""},
		{"*.wild.com", "wild.com", "domain", ""},
		{"https://evil.com/", "evil.com", "domain", ""},
		{"https://Evil.Com/login?victim=1#x", "evil.com/login", "url", ""},
		{"twitter.com/scammer", "twitter.com/scammer", "url", ""},
		{"bücher-scam.com", "xn--bcher-scam-9db.com", "domain", ""},
		{"0x52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886e0f7030069857d2e4169ee7", "address", "evm"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			res, err := f.client("sam").Submit(context.Background(), SubmitRequest{Indicator: tt.in, Category: "phishing"})
			if err != nil {
				t.Fatal(err)
			}
			got := res.Results[0].Submission
			if got.Indicator != tt.value || got.Kind != tt.kind || got.Chain != tt.chain {
				t.Fatalf("got %q %s %q, want %q %s %q", got.Indicator, got.Kind, got.Chain, tt.value, tt.kind, tt.chain)
			}
		})
	}
}

func TestWalletAddressWithoutParserIsRefused(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Addresses = nil })
	st, body, _ := f.do("POST", "/v1/submissions", "sam", `{"indicator":"0x52908400098527886E0F7030069857D2E4169EE7"}`)
	if st != 400 || !strings.Contains(string(body), "no wallet address parser") {
		t.Fatalf("%d %s", st, body)
	}
}

func TestDuplicateSubmissionIsMergedAnd200(t *testing.T) {
	f := newFixture(t, nil)
	body := SubmitRequest{Indicator: "dup.com", Evidence: []string{"https://e.com/1"}}
	if st, b, _ := f.do("POST", "/v1/submissions", "sam", body); st != http.StatusCreated {
		t.Fatalf("first: %d %s", st, b)
	}
	body.Evidence = []string{"https://e.com/2"}
	st, b, _ := f.do("POST", "/v1/submissions", "sue", body)
	if st != http.StatusOK {
		t.Fatalf("duplicate: %d %s", st, b)
	}
	var res SubmitResponse
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	got := res.Results[0]
	if !got.Merged || len(got.Submission.Evidence) != 2 {
		t.Fatalf("merge result %+v", got)
	}
}

func TestDecisionBodies(t *testing.T) {
	f := newFixture(t, nil)
	id := f.pending("d.com")
	path := fmt.Sprintf("/v1/submissions/%d/", id)
	tests := []struct {
		name, path, body string
		status           int
		field            string
	}{
		{"reject needs a reason", path + "reject", `{}`, 400, "reason"},
		{"reject with an empty body needs a reason", path + "reject", ``, 400, ""},
		{"negative ttl", path + "approve", `{"ttl_days":-1}`, 400, "ttl_days"},
		{"ttl over the maximum", path + "approve", `{"ttl_days":100000}`, 400, "ttl_days"},
		{"unknown field", path + "approve", `{"ttl":5}`, 400, "ttl"},
		{"bad id", "/v1/submissions/abc/approve", ``, 400, "id"},
		{"unknown id", "/v1/submissions/999/approve", ``, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body, _ := f.do("POST", tt.path, "rita", tt.body)
			if st != tt.status || errorOf(t, body).Field != tt.field {
				t.Fatalf("%d %s, want %d field %q", st, body, tt.status, tt.field)
			}
		})
	}
	sub, err := f.client("rita").Approve(context.Background(), id, DecisionRequest{TTLDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	if got := sub.Expires.Sub(sub.Decided); got != 7*24*time.Hour {
		t.Fatalf("ttl_days 7 gave %v", got)
	}
	if st, _, _ := f.do("POST", path+"approve", "ray", ``); st != http.StatusConflict {
		t.Fatalf("approving twice: %d, want 409", st)
	}
}

func TestAppealsAreRateLimitedPerClient(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.AppealBurst = 3 })
	for i := range 3 {
		if st, b, _ := f.do("POST", "/v1/appeals", "", AppealRequest{Indicator: "a.com", Reason: "mine"}); st != 201 {
			t.Fatalf("appeal %d: %d %s", i, st, b)
		}
	}
	st, _, h := f.do("POST", "/v1/appeals", "", AppealRequest{Indicator: "a.com", Reason: "mine"})
	if st != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("4th appeal: %d Retry-After %q, want 429 with Retry-After", st, h.Get("Retry-After"))
	}
}

func TestAppealValidation(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		name, body, field string
	}{
		{"reason required", `{"indicator":"a.com"}`, "reason"},
		{"indicator must be valid", `{"indicator":"not a name","reason":"x"}`, "indicator"},
		{"contact length", `{"indicator":"a.com","reason":"x","contact":"` + strings.Repeat("c", 300) + `"}`, "contact"},
		{"unknown field", `{"indicator":"a.com","reason":"x","phone":"1"}`, "phone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, body, _ := f.do("POST", "/v1/appeals", "", tt.body)
			if st != 400 || errorOf(t, body).Field != tt.field {
				t.Fatalf("%d %s, want 400 field %q", st, body, tt.field)
			}
		})
	}
	// Appeals are about anything listed, guarded names included.
	if st, b, _ := f.do("POST", "/v1/appeals", "", `{"indicator":"google.com","reason":"x"}`); st != 201 {
		t.Fatalf("appeal about a guarded name: %d %s", st, b)
	}
}

func TestCheckEndpoints(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBulkCheck = 3 })
	st, body, _ := f.do("GET", "/v1/check/listed.com", "", nil)
	if st != 200 || !strings.Contains(string(body), `"listed": true`) {
		t.Fatalf("check one: %d %s", st, body)
	}
	if st, body, _ := f.do("GET", "/v1/check/twitter.com/scammer", "", nil); st != 200 || !strings.Contains(string(body), "twitter.com/scammer") {
		t.Fatalf("URL indicator in the path: %d %s", st, body)
	}
	if st, body, _ := f.do("GET", "/v1/check/nodot", "", nil); st != 400 || errorOf(t, body).Field != "indicator" {
		t.Fatalf("bad indicator: %d %s", st, body)
	}
	st, body, _ = f.do("POST", "/v1/check", "", `["listed.com","nodot"]`)
	var res CheckResponse
	if st != 200 || json.Unmarshal(body, &res) != nil || len(res.Results) != 2 || res.Results[1].Error == "" || res.Results[0].Result == nil {
		t.Fatalf("bulk: %d %s", st, body)
	}
	if st, body, _ := f.do("POST", "/v1/check", "", `["a.com","b.com","c.com","d.com"]`); st != 413 {
		t.Fatalf("bulk over the limit: %d %s", st, body)
	}
	if st, _, _ := f.do("POST", "/v1/check", "", `{"indicators":[]}`); st != 400 {
		t.Fatalf("bulk with an object: %d", st)
	}
}

func TestFeedsAndChecksWithoutBackends(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Feeds = nil; o.Checker = nil })
	for _, p := range []string{"/v1/feeds", "/v1/check/a.com"} {
		if st, _, _ := f.do("GET", p, "", nil); st != http.StatusServiceUnavailable {
			t.Errorf("%s without a backend: %d, want 503", p, st)
		}
	}
}

func TestUnknownRouteIsJSON404(t *testing.T) {
	f := newFixture(t, nil)
	st, body, _ := f.do("GET", "/v1/nope", "", nil)
	if st != 404 || errorOf(t, body).Error == "" {
		t.Fatalf("%d %s", st, body)
	}
}

func TestTokensThroughTheAPI(t *testing.T) {
	f := newFixture(t, nil)
	c := f.client("ada")
	created, err := c.CreateToken(context.Background(), TokenRequest{Name: "newbie", Role: "reviewer"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Token, "sbk_") || created.Role != store.RoleReviewer {
		t.Fatalf("created %+v", created)
	}
	f.tokens["newbie"] = created.Token
	if st, _, _ := f.do("GET", "/v1/appeals", "newbie", nil); st != 200 {
		t.Fatalf("new token cannot act: %d", st)
	}
	st, body, _ := f.do("GET", "/v1/tokens", "ada", nil)
	if st != 200 || strings.Contains(string(body), created.Token) || strings.Contains(string(body), store.HashSecret(created.Token)) {
		t.Fatalf("token list leaks secrets or hashes: %s", body)
	}
	if _, err := c.CreateToken(context.Background(), TokenRequest{Name: "newbie", Role: "admin"}); StatusOf(err) != 409 {
		t.Fatalf("duplicate name: %v, want 409", err)
	}
	if _, err := c.CreateToken(context.Background(), TokenRequest{Name: "x", Role: "root"}); StatusOf(err) != 400 {
		t.Fatalf("bad role: %v, want 400", err)
	}
	if _, err := c.RevokeToken(context.Background(), "newbie"); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := f.do("GET", "/v1/appeals", "newbie", nil); st != 401 {
		t.Fatalf("revoked token: %d, want 401", st)
	}
	if _, err := c.RevokeToken(context.Background(), "nobody"); StatusOf(err) != 404 {
		t.Fatalf("revoking an unknown token: %v, want 404", err)
	}
}

func TestTokensAreNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, func(o *Options) {
		o.Logger = slogTo(&logs)
	})
	f.do("GET", "/v1/submissions", "sam", nil)
	f.do("GET", "/v1/submissions", "sbk_wrong", nil)
	f.do("POST", "/v1/tokens", "ada", TokenRequest{Name: "logged", Role: "admin"})
	for name, secret := range f.tokens {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("log contains %s's token", name)
		}
	}
	if strings.Contains(logs.String(), "sbk_") {
		t.Fatalf("log contains a token: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "token=sam") {
		t.Fatalf("log does not name the token's owner: %s", logs.String())
	}
}
