package resolver

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/miekg/dns"
)

// discardWriter is an http.ResponseWriter that keeps the header and the
// status and drops the body, so that a benchmark measures the handler.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header  { return w.h }
func (w *discardWriter) WriteHeader(code int) { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}

// benchDoH drives the DoH handler with one GET request for name, as a
// browser sends it, and checks the first answer's rcode and Cache-Control.
func benchDoH(b *testing.B, name string, wantRcode int) {
	s := benchServer(b)
	b.Cleanup(s.forward.close) // the sweeper a query started (Run closes it otherwise)
	h := s.DoHHandler(context.Background())
	q := new(dns.Msg)
	q.SetQuestion(name, dns.TypeA)
	q.Id = 0
	raw, err := q.Pack()
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, DoHPath+"?dns="+base64.RawURLEncoding.EncodeToString(raw), nil)
	r.RemoteAddr = "127.0.0.1:5353"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var m dns.Msg
	if err := m.Unpack(rec.Body.Bytes()); err != nil || m.Rcode != wantRcode || rec.Header().Get("Cache-Control") == "" {
		b.Fatalf("status %d, header %v, answer %v (%v), want rcode %s", rec.Code, rec.Header(), &m, err, dns.RcodeToString[wantRcode])
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

// BenchmarkDoHBlocked: a GET for a listed name through the DoH handler
// (base64url decode, the block answer, headers with Cache-Control).
func BenchmarkDoHBlocked(b *testing.B) { benchDoH(b, "www.evil.example.", dns.RcodeNameError) }

// BenchmarkDoHCached: the same for a cached answer.
func BenchmarkDoHCached(b *testing.B) { benchDoH(b, "a.test.", dns.RcodeSuccess) }
