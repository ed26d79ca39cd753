// Package ratelimit is scamblock's one rate limiter: a token bucket per
// client prefix (an IPv4 /24 and an IPv6 /56 by default), shared by the DNS
// server and the HTTP API. Its memory is bounded: the table holds at most
// MaxClients buckets, and when a shard is full a new client takes the
// place of a random one, so a flood of random (spoofed) sources costs a
// fixed amount of memory and only resets buckets, never grows the table.
//
// The table is a fixed array of MaxClients buckets (32 bytes each: 2 MiB
// for the default 65536), in sets of 4: a prefix hashes to a set, and a new
// prefix takes a free bucket of its set or the one idle longest. Nothing is
// allocated per query.
package ratelimit

import (
	"encoding/binary"
	"math"
	"net/netip"
	"sync"
	"time"
)

// Config sets a Limiter up; the zero value of each field gives the default
// in brackets.
type Config struct {
	Rate       float64 // tokens (queries, requests) a second per client prefix; must be > 0
	Burst      int     // bucket size [max(1, ceil(Rate))]
	V4Prefix   int     // IPv4 clients share a bucket per /V4Prefix [24]
	V6Prefix   int     // IPv6 clients share a bucket per /V6Prefix [56]
	MaxClients int     // buckets kept at most [65536]
}

// ways is how many buckets share a set of the table: a new client takes
// a free way of its set, or the one idle longest.
const (
	ways     = 4
	numLocks = 256
)

// Limiter is a token bucket per client prefix. It is safe for concurrent
// use; its zero value is not usable (use New).
type Limiter struct {
	rate   float64 // tokens per nanosecond
	burst  float64
	v4, v6 int
	start  time.Time // the clock's origin: buckets keep monotonic nanoseconds since then
	sets   []set     // a power of two of them
	locks  [numLocks]paddedMutex
}

type paddedMutex struct {
	sync.Mutex
	_ [56]byte // one lock per cache line
}

type set [ways]bucket

// bucket is one prefix's tokens at time last (ns since Limiter.start);
// last == 0 is a free bucket.
type bucket struct {
	key    [16]byte
	tokens float64
	last   int64
}

// New returns a Limiter for cfg.
func New(cfg Config) *Limiter {
	if cfg.Rate <= 0 || math.IsNaN(cfg.Rate) {
		panic("ratelimit.New: Rate must be positive")
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(math.Ceil(cfg.Rate)))
	}
	if cfg.V4Prefix <= 0 || cfg.V4Prefix > 32 {
		cfg.V4Prefix = 24
	}
	if cfg.V6Prefix <= 0 || cfg.V6Prefix > 128 {
		cfg.V6Prefix = 56
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 65536
	}
	nsets := 1
	for nsets*ways < cfg.MaxClients {
		nsets *= 2
	}
	return &Limiter{
		rate: cfg.Rate / 1e9, burst: float64(cfg.Burst), v4: cfg.V4Prefix, v6: cfg.V6Prefix,
		start: time.Now().Add(-time.Nanosecond), sets: make([]set, nsets), // last > 0 for every used bucket
	}
}

// Key returns the prefix addr is counted under: addr masked to /V4Prefix
// or /V6Prefix (IPv4-mapped IPv6 addresses count as IPv4).
func (l *Limiter) Key(addr netip.Addr) netip.Addr {
	addr = addr.Unmap().WithZone("")
	bits := l.v6
	if addr.Is4() {
		bits = l.v4
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return netip.Addr{}
	}
	return p.Addr()
}

// key is Key as the table's 16 bytes (IPv4 as ::ffff:a.b.c.d), computed
// without building a netip.Prefix.
func (l *Limiter) key(addr netip.Addr) [16]byte {
	addr = addr.Unmap()
	bits := l.v6
	if addr.Is4() {
		bits = 96 + l.v4
	}
	k := addr.As16()
	for i := bits / 8; i < 16; i++ {
		if rem := bits - i*8; rem > 0 {
			k[i] &= byte(0xFF << (8 - rem))
		} else {
			k[i] = 0
		}
	}
	return k
}

// Allow takes one token from addr's bucket at now and reports whether
// there was one.
func (l *Limiter) Allow(addr netip.Addr, now time.Time) bool {
	ok, _ := l.Reserve(addr, now)
	return ok
}

// Reserve is Allow that also says, when no token is left, how long until
// the next one (for an HTTP Retry-After).
func (l *Limiter) Reserve(addr netip.Addr, now time.Time) (bool, time.Duration) {
	key := l.key(addr)
	t := max(int64(now.Sub(l.start)), 1)
	h := hash(key)
	i := h & uint64(len(l.sets)-1)
	mu := &l.locks[i%numLocks]
	mu.Lock()
	b := l.find(&l.sets[i], key, t)
	if t > b.last {
		b.tokens = min(l.burst, b.tokens+float64(t-b.last)*l.rate)
		b.last = t
	}
	allowed := b.tokens >= 1
	if allowed {
		b.tokens--
	}
	tokens := b.tokens
	mu.Unlock()
	if allowed {
		return true, 0
	}
	return false, time.Duration(math.Ceil((1 - tokens) / l.rate))
}

// find returns key's bucket in s, or makes one with a full bucket in a
// free way or in place of the way idle longest.
func (l *Limiter) find(s *set, key [16]byte, t int64) *bucket {
	oldest := 0
	for w := range s {
		if s[w].last != 0 && s[w].key == key {
			return &s[w]
		}
		if s[w].last < s[oldest].last {
			oldest = w
		}
	}
	s[oldest] = bucket{key: key, tokens: l.burst, last: t}
	return &s[oldest]
}

// Len returns the number of buckets in use (at most MaxClients rounded up
// to a power of two).
func (l *Limiter) Len() int {
	n := 0
	for i := range l.sets {
		mu := &l.locks[i%numLocks]
		mu.Lock()
		for _, b := range l.sets[i] {
			if b.last != 0 {
				n++
			}
		}
		mu.Unlock()
	}
	return n
}

// hash mixes the prefix's bytes (a multiply-xorshift of both halves).
func hash(b [16]byte) uint64 {
	h := binary.LittleEndian.Uint64(b[:8])*0x9E3779B97F4A7C15 ^ binary.LittleEndian.Uint64(b[8:])*0xC2B2AE3D27D4EB4F
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	return h ^ h>>32
}
