package config

import (
	"errors"
	"testing"
)

// FuzzParse: any bytes give a config or *Error values, never a panic.
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
		for _, f := range c.Feeds {
			if err := f.Validate(); err != nil {
				t.Fatalf("accepted an invalid feed: %v", err)
			}
		}
	})
}
