package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: any bytes give a config or *Error values, never a panic; a
// config Parse accepts passes Validate's per-value checks.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullConfig))
	f.Add([]byte("server:\n  block_mode: sinkhole\n"))
	f.Add([]byte("feeds:\n  - name: metamask\n    enabled: false\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("\t- :\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v is not a *config.Error", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil && !isUnsetRequired(err) {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
	})
}

// isUnsetRequired: Parse leaves "none given" (an emptied list) and a lone
// TSIG half to Validate, which runs once every source is laid on.
func isUnsetRequired(err error) bool {
	s := err.Error()
	return strings.Contains(s, "none given") || strings.Contains(s, "TSIG key needs its") || strings.Contains(s, "already defined")
}
