package api

import (
	"strings"
	"testing"
)

// TestErrorBodiesEchoLittleOfTheInput: a huge indicator gets an error whose
// body quotes at most about 200 bytes of it (issue 12.5: a 900 KB request
// got a 900 KB error).
func TestErrorBodiesEchoLittleOfTheInput(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBodyBytes = 2 << 20 })
	huge := strings.Repeat("x", 900_000) + ".-bad-"
	for _, c := range []struct{ method, path, user, body string }{
		{"POST", "/v1/submissions", "sam", `{"indicator":"` + huge + `"}`},
		{"POST", "/v1/submissions", "sam", `{"indicators":["ok.com","` + huge + `"]}`},
		{"POST", "/v1/appeals", "", `{"indicator":"` + huge + `","reason":"x"}`},
		{"POST", "/v1/check", "", `["` + huge + `"]`},
		{"GET", "/v1/check/" + huge, "", ""},
		{"GET", "/v1/nothing/" + huge, "", ""},
		{"POST", "/v1/submissions", "sam", `{"indicator":"a.com","evidence":["` + huge + `"]}`},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		st, out, _ := f.do(c.method, c.path, c.user, body)
		if st < 400 && c.path != "/v1/check" { // a bulk check answers 200 with an error per item

			t.Errorf("%s %.40s: status %d, want an error", c.method, c.path, st)
		}
		if len(out) > 600 {
			t.Errorf("%s %.40s (body %.40s): %d-byte error body, want at most ~200 bytes of the input echoed: %.300s",
				c.method, c.path, c.body, len(out), out)
		}
	}
}
