package rpz

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// TSIGError maps the TSIG verification of a signed query to the RFC 8945
// error to answer with (0 when the query verified), and says why.
// hasKey is whether the server has a key at all: without one, every
// signed query names a key the server does not know.
func TSIGError(status error, hasKey bool) (uint16, string) {
	switch {
	case !hasKey:
		return dns.RcodeBadKey, "the query is signed, but no TSIG key is configured"
	case status == nil:
		return 0, ""
	case errors.Is(status, dns.ErrSecret):
		return dns.RcodeBadKey, "unknown key name"
	case errors.Is(status, dns.ErrKeyAlg):
		return dns.RcodeBadKey, "key algorithm not supported"
	case errors.Is(status, dns.ErrTime):
		return dns.RcodeBadTime, "time signed outside the fudge"
	}
	return dns.RcodeBadSig, "MAC does not verify: " + status.Error()
}

// TSIGErrorRecord is the TSIG record of a NOTAUTH reply to query tsig with
// error code (RFC 8945 §5.3.2): for BADKEY and BADSIG the MAC is empty
// (miekg/dns writes such a record unsigned: the server cannot sign with a
// key it did not verify); for BADTIME the reply is signed, its Time Signed
// is the query's and Other Data carries the server's time (48 bits), so the
// client can see the skew.
func TSIGErrorRecord(q *dns.TSIG, code uint16, now time.Time) *dns.TSIG {
	t := &dns.TSIG{
		Hdr:       dns.RR_Header{Name: q.Hdr.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
		Algorithm: q.Algorithm,
		Fudge:     q.Fudge,
		OrigId:    q.OrigId,
		Error:     code,
	}
	if code == dns.RcodeBadTime {
		t.TimeSigned = q.TimeSigned
		t.OtherLen = 6
		t.OtherData = fmt.Sprintf("%012x", uint64(now.Unix())&(1<<48-1))
	}
	return t
}

// RefusalLog logs refusals (transfers refused by the ACL or TSIG, forged
// NOTIFYs) at WARN, at most RefusalBurst a minute: a client retrying, or a
// flood from anywhere, must not flood the log. The first warning after a
// quiet spell says how many were left out (not_logged_before).
type RefusalLog struct {
	log *slog.Logger
	now func() time.Time
	msg string

	mu         sync.Mutex
	window     time.Time // start of the current minute
	n          int       // warnings logged in it
	suppressed int       // refusals not logged since the last warning
}

// RefusalBurst is how many refusals a RefusalLog logs a minute.
const RefusalBurst = 10

// NewRefusalLog returns a RefusalLog writing msg to log; now is the clock.
func NewRefusalLog(log *slog.Logger, now func() time.Time, msg string) *RefusalLog {
	if now == nil {
		now = time.Now
	}
	return &RefusalLog{log: log, now: now, msg: msg}
}

// Warn logs one refusal with attrs (slog key-value pairs), unless the
// minute's burst is spent.
func (l *RefusalLog) Warn(attrs ...any) {
	now := l.now()
	l.mu.Lock()
	if now.Sub(l.window) >= time.Minute {
		l.window, l.n = now, 0
	}
	if l.n >= RefusalBurst {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	l.n++
	suppressed := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	if suppressed > 0 {
		attrs = append(attrs, "not_logged_before", suppressed)
	}
	l.log.Warn(l.msg, attrs...)
}
