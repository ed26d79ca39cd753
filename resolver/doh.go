package resolver

// doh.go serves DNS over HTTPS (RFC 8484): GET /dns-query?dns=BASE64URL and
// POST /dns-query with an application/dns-message body, over HTTP/2 or
// HTTP/1.1. Each message goes through handle like any other query (ACL,
// rate limit, blocking with EDE, cache), so a DoH client gets the same
// answer as a UDP one, EDE text included.

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DoHPath is where DNS over HTTPS is served.
const DoHPath = "/dns-query"

const dohMediaType = "application/dns-message"

var dohContentType = []string{dohMediaType}

// dohServer is an http.Server for the DoH listeners.
func (s *Server) dohServer(ctx context.Context) *http.Server {
	mux := http.NewServeMux()
	mux.Handle(DoHPath, s.DoHHandler(ctx))
	return &http.Server{
		Handler:           mux,
		TLSConfig:         s.cfg.TLS.Clone(), // net/http adds h2 and http/1.1 to NextProtos
		ReadHeaderTimeout: s.cfg.TCPIdle,
		ReadTimeout:       s.cfg.TCPIdle,
		WriteTimeout:      s.cfg.TCPWriteTimeout + s.cfg.ResolveTimeout,
		IdleTimeout:       s.cfg.TCPIdle,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug), // failed handshakes
	}
}

// DoHHandler answers DNS over HTTPS requests; queries are resolved under
// ctx (which outlives a request by the drain time on shutdown).
func (s *Server) DoHHandler(ctx context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, status, msg := dohQuery(r)
		if status != 0 {
			http.Error(w, msg, status)
			return
		}
		client := netip.Addr{}
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			client = ap.Addr().Unmap()
		}
		s.metrics.transport[transportDoH].Inc()
		out := s.packBufs.get()
		defer s.packBufs.put(out)
		qctx, cancel := context.WithTimeout(ctx, s.cfg.ResolveTimeout+time.Second)
		defer cancel()
		ans := s.handle(qctx, raw, client, true, *out)
		if ans == nil { // dropped: a response sent to us, or rate limited
			http.Error(w, "no answer (rate limited or not a query)", http.StatusTooManyRequests)
			return
		}
		h := w.Header()
		h["Content-Type"] = dohContentType // shared, never modified: one allocation less than Set
		h.Set("Content-Length", strconv.Itoa(len(ans)))
		if ttl, ok := minTTL(ans); ok {
			h.Set("Cache-Control", "max-age="+strconv.FormatUint(uint64(ttl), 10)) // RFC 8484 5.1
		}
		w.Write(ans)
	})
}

// dohQuery extracts the DNS message of a DoH request, or an HTTP status and
// message saying what is wrong with it.
func dohQuery(r *http.Request) ([]byte, int, string) {
	var raw []byte
	switch r.Method {
	case http.MethodGet:
		q := dnsParam(r.URL.RawQuery)
		if q == "" {
			return nil, http.StatusBadRequest, "missing dns parameter (RFC 8484: GET /dns-query?dns=BASE64URL)"
		}
		b, err := base64.RawURLEncoding.DecodeString(q)
		if err != nil {
			return nil, http.StatusBadRequest, "dns parameter is not unpadded base64url: " + err.Error()
		}
		raw = b
	case http.MethodPost:
		if ct := r.Header.Get("Content-Type"); ct != dohMediaType {
			return nil, http.StatusUnsupportedMediaType, "Content-Type must be " + dohMediaType
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, dns.MaxMsgSize+1))
		if err != nil {
			return nil, http.StatusBadRequest, "reading the body: " + err.Error()
		}
		raw = b
	default:
		return nil, http.StatusMethodNotAllowed, "use GET or POST"
	}
	if len(raw) > dns.MaxMsgSize {
		return nil, http.StatusRequestEntityTooLarge, "a DNS message is at most 65535 bytes"
	}
	if len(raw) < headerLen {
		return nil, http.StatusBadRequest, "message shorter than a DNS header"
	}
	return raw, 0, ""
}

// dnsParam is the first value of the query string's "dns" parameter, as
// url.Values.Get would return it. A base64url value needs no unescaping,
// so a query without '%', '+' or ';' is read in place, without the map
// url.ParseQuery builds; any other is left to ParseQuery.
func dnsParam(rawQuery string) string {
	if strings.ContainsAny(rawQuery, "%+;") {
		q, _ := url.ParseQuery(rawQuery)
		return q.Get("dns")
	}
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if k, v, _ := strings.Cut(pair, "="); k == "dns" {
			return v
		}
	}
	return ""
}

// minTTL is the smallest TTL of the answer's records (answer and authority
// sections), for the HTTP freshness lifetime. It reads the TTL fields of
// the packed message where they are (walkRRs: names are skipped, not
// followed through compression pointers) instead of unpacking it again.
func minTTL(ans []byte) (uint32, bool) {
	found, ttl := false, uint32(0)
	_, ok := walkRRs(ans, func(rr wireRR) bool {
		if rr.section == 2 { // additional: OPT and glue are not the answer
			return true
		}
		// TYPE, CLASS, TTL, RDLENGTH precede the rdata.
		if t := binary.BigEndian.Uint32(ans[rr.rdata-6:]); !found || t < ttl {
			found, ttl = true, t
		}
		return true
	})
	return ttl, ok && found
}
