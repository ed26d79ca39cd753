// Package follow keeps a local copy of a remote Response Policy Zone
// current, the way a DNS secondary does: AXFR, then IXFR (RFC 1995) on
// NOTIFY (RFC 1996) and on the SOA refresh and retry timers, with TSIG
// (RFC 8945). Each new version becomes one lists.Set handed to OnChange,
// and the last version is kept on disk and served after a restart while
// the primary is down.
package follow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/rpz"
)

// Config configures a Follower. The zero value of a field gives the
// default in brackets.
type Config struct {
	// Primary is the server to transfer from, "host:port" (required):
	// another scamblock's --rpz-listen, or BIND, Knot, PowerDNS...
	Primary string
	// Zone is the policy zone's name, e.g. "rpz.scamblock" (required).
	Zone string
	// TSIG, when set, signs every query to the primary and requires
	// signed answers; signed NOTIFYs must be signed with it.
	TSIG *rpz.TSIGKey
	// Dir keeps the last version of the zone (<zone>.zone, <zone>.json)
	// ["": not kept].
	Dir string
	// Source names the Set ["follow:" + Zone].
	Source string
	// OnChange receives every new version of the Set (the copy from disk
	// first, if there is one), on the follower's goroutine. It should
	// hand the Set on and return: the next check waits for it.
	OnChange func(*lists.Set)

	// MinRefresh and MaxRefresh bound the SOA refresh interval [30s, 24h];
	// MaxRetry bounds the SOA retry interval [1h]. After a failure the
	// follower retries after RetryBase [1s], doubling up to the SOA retry.
	MinRefresh, MaxRefresh, MaxRetry, RetryBase time.Duration
	// NotifyInterval is the least time between two checks NOTIFYs
	// trigger; NOTIFYs in between are coalesced into one check [100ms].
	NotifyInterval time.Duration
	// QueryTimeout bounds a connect and the SOA query [5s], ReadTimeout
	// the wait for one transfer message [30s], TransferTimeout one whole
	// check [30m].
	QueryTimeout, ReadTimeout, TransferTimeout time.Duration
	// MaxRecords refuses larger zones [20,000,000].
	MaxRecords int
	// Now is the clock [time.Now]; Logger receives events [slog.Default()].
	Now    func() time.Time
	Logger *slog.Logger
}

// Follower follows one zone from one primary. Build it with New, run it
// with Run; Notify, ServeNotify, Status and Set may be called from any
// goroutine.
type Follower struct {
	cfg Config
	log *slog.Logger
	// refusals: NOTIFYs refused (not the primary, bad TSIG), logged at
	// WARN at most rpz.RefusalBurst a minute: anyone can send a NOTIFY.
	refusals *rpz.RefusalLog
	store    *store

	cur     atomic.Pointer[zone]
	set     atomic.Pointer[lists.Set]
	trigger chan struct{} // a NOTIFY asks for a check; one pending at most
	primary atomic.Pointer[[]netip.Addr]
	ran     atomic.Bool
	loaded  atomic.Bool // LoadSaved ran

	saves chan saveJob // newest wins

	ready     chan struct{} // closed once a version is in use or the first check ended
	readyOnce sync.Once

	mu sync.Mutex
	st Status
}

// New checks cfg. Nothing is read or sent before Run.
func New(cfg Config) (*Follower, error) {
	if cfg.Primary == "" {
		return nil, errors.New("follow: no primary: give the primary's address as host:port, e.g. 192.0.2.10:53")
	}
	host, port, err := net.SplitHostPort(cfg.Primary)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("follow: primary %q: write it as host:port, e.g. 192.0.2.10:53 or [2001:db8::1]:53", cfg.Primary)
	}
	if cfg.Zone == "" {
		return nil, errors.New("follow: no zone: give the policy zone's name, e.g. rpz.scamblock")
	}
	cfg.Zone = dns.CanonicalName(cfg.Zone)
	if _, ok := dns.IsDomainName(cfg.Zone); !ok || cfg.Zone == "." {
		return nil, fmt.Errorf("follow: zone %q is not a domain name: use e.g. rpz.scamblock", cfg.Zone)
	}
	if cfg.TSIG != nil {
		k, err := checkKey(*cfg.TSIG)
		if err != nil {
			return nil, err
		}
		cfg.TSIG = &k
	}
	if cfg.Source == "" {
		cfg.Source = "follow:" + strings.TrimSuffix(cfg.Zone, ".")
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.MinRefresh, 30*time.Second)
	def(&cfg.MaxRefresh, 24*time.Hour)
	def(&cfg.MaxRetry, time.Hour)
	def(&cfg.RetryBase, time.Second)
	def(&cfg.NotifyInterval, 100*time.Millisecond)
	def(&cfg.QueryTimeout, 5*time.Second)
	def(&cfg.ReadTimeout, 30*time.Second)
	def(&cfg.TransferTimeout, 30*time.Minute)
	if cfg.MaxRecords <= 0 {
		cfg.MaxRecords = 20_000_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	f := &Follower{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "follow", "zone", strings.TrimSuffix(cfg.Zone, "."), "primary", cfg.Primary),
		refusals: rpz.NewRefusalLog(cfg.Logger.With("component", "follow", "zone", strings.TrimSuffix(cfg.Zone, "."), "primary", cfg.Primary), cfg.Now, "follow: NOTIFY refused"),
		trigger:  make(chan struct{}, 1),
		saves:    make(chan saveJob, 1),
		ready:    make(chan struct{}),
	}
	if cfg.Dir != "" {
		s := newStore(cfg.Dir, cfg.Zone)
		f.store = &s
	}
	if a, err := netip.ParseAddr(host); err == nil {
		f.primary.Store(&[]netip.Addr{a.Unmap()})
	}
	f.st = Status{Zone: strings.TrimSuffix(cfg.Zone, "."), Primary: cfg.Primary, Source: cfg.Source}
	if f.store != nil {
		f.st.CacheFile = f.store.zonePath()
	}
	return f, nil
}

// checkKey fills the algorithm and canonical names of a TSIG key.
func checkKey(k rpz.TSIGKey) (rpz.TSIGKey, error) {
	if k.Name == "" || k.Secret == "" {
		return k, errors.New("follow: a TSIG key needs a name and a base64 secret (--follow-tsig-name and --follow-tsig-secret)")
	}
	k.Name = dns.CanonicalName(k.Name)
	if k.Algorithm == "" {
		k.Algorithm = dns.HmacSHA256
	}
	k.Algorithm = dns.CanonicalName(k.Algorithm)
	switch k.Algorithm {
	case dns.HmacSHA256, dns.HmacSHA384, dns.HmacSHA512, dns.HmacSHA224, dns.HmacSHA1:
	default:
		return k, fmt.Errorf("follow: TSIG algorithm %q not supported: use hmac-sha256", k.Algorithm)
	}
	if _, _, err := dns.TsigGenerate(&dns.Msg{Extra: []dns.RR{&dns.TSIG{Hdr: dns.RR_Header{Name: k.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY}, Algorithm: k.Algorithm, Fudge: 300}}}, k.Secret, "", false); err != nil {
		return k, fmt.Errorf("follow: TSIG secret of key %q: %w (give the base64 secret, as in BIND's key clause)", k.Name, err)
	}
	return k, nil
}

// Set is the current Set (nil before the first version).
func (f *Follower) Set() *lists.Set { return f.set.Load() }

// Ready is closed once the follower has something to say: the copy on
// disk was handed to OnChange, or the first check ended (with a new
// version, or with an error: a primary that is down must not hold up a
// server's start for ever). Until then a server may not have its lists.
func (f *Follower) Ready() <-chan struct{} { return f.ready }

func (f *Follower) markReady() { f.readyOnce.Do(func() { close(f.ready) }) }

// LoadSaved loads the copy on disk, if there is a usable one, and hands
// its Set to OnChange, once; Run calls it first. A server calls it before
// it opens its DNS port, so that it blocks from its first query after a
// restart, as it does with the feeds' last good copies.
func (f *Follower) LoadSaved() {
	if f.loaded.Swap(true) {
		return
	}
	f.restore()
	if f.Set() != nil {
		f.markReady()
	}
}

// Source is the name of the Sets the follower hands out.
func (f *Follower) Source() string { return f.cfg.Source }

// Run loads the copy on disk (handing it to OnChange), then keeps the zone
// current until ctx is cancelled: a check at start, on NOTIFY and when the
// SOA refresh (after a success) or retry (after a failure, with backoff)
// timer fires. It returns nil when ctx ends. Run may be called once.
func (f *Follower) Run(ctx context.Context) error {
	if f.ran.Swap(true) {
		return errors.New("follow: Run called twice")
	}
	f.LoadSaved()
	if f.store != nil { // without a directory there is nothing to save
		saverDone := make(chan struct{})
		stopSaver := make(chan struct{})
		go func() { defer close(saverDone); f.saver(stopSaver) }()
		defer func() { close(stopSaver); <-saverDone }()
	}

	failures := 0
	next := f.cfg.Now()
	var lastNotified time.Time
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		timer.Reset(max(0, next.Sub(f.cfg.Now())))
		f.setNext(next)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-f.trigger:
			if wait := f.cfg.NotifyInterval - f.cfg.Now().Sub(lastNotified); wait > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(wait):
				}
			}
			lastNotified = f.cfg.Now()
		}
		err := f.check(ctx)
		if ctx.Err() != nil {
			return nil
		}
		f.markReady()
		if err != nil {
			failures++
			d := f.retryAfter(failures)
			f.failed(err, d)
			next = f.cfg.Now().Add(d)
		} else {
			failures = 0
			next = f.cfg.Now().Add(f.refreshAfter())
		}
		f.checkStale()
	}
}

// refreshAfter is the SOA refresh, bounded, less up to 10% jitter so a
// fleet started together does not poll together.
func (f *Follower) refreshAfter() time.Duration {
	r := 5 * time.Minute
	if z := f.cur.Load(); z != nil {
		r = time.Duration(z.soa.Refresh) * time.Second
	}
	r = min(max(r, f.cfg.MinRefresh), f.cfg.MaxRefresh)
	return r - rand.N(r/10+1)
}

// retryAfter is the wait after the n-th failure in a row: RetryBase
// doubling, capped at the SOA retry (5 min before any SOA is known).
func (f *Follower) retryAfter(n int) time.Duration {
	limit := 5 * time.Minute
	if z := f.cur.Load(); z != nil {
		limit = time.Duration(z.soa.Retry) * time.Second
	}
	limit = min(max(limit, f.cfg.RetryBase), f.cfg.MaxRetry)
	d := f.cfg.RetryBase
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// check asks the primary for its SOA (RFC 1034 §4.3.5, also before the
// first transfer: its answer says clearly when the primary refuses us)
// and, when it is newer, transfers the changes (IXFR) or the whole zone
// (AXFR: the first time, or when IXFR fails or is answered by a bare SOA).
func (f *Follower) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, f.cfg.TransferTimeout)
	defer cancel()
	f.mu.Lock()
	f.st.LastCheck = f.cfg.Now()
	f.mu.Unlock()
	f.resolvePrimary(ctx)
	soa, err := f.querySOA(ctx)
	if err != nil {
		return err
	}
	f.contact()
	if cur := f.cur.Load(); cur != nil {
		if !serialLess(cur.serial(), soa.Serial) {
			if soa.Serial != cur.serial() {
				f.log.Warn("follow: the primary's serial is older than ours; keeping ours (RFC 1982)", "ours", cur.serial(), "primary", soa.Serial)
			}
			f.log.Debug("follow: up to date", "serial", cur.serial())
			return nil
		}
		start := f.cfg.Now()
		z, res, err := f.ixfr(ctx, cur)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			f.log.Warn("follow: IXFR failed; transferring the whole zone", "err", err)
		case res == ixfrUpToDate:
			return nil
		case res == ixfrApplied:
			f.apply(z, "IXFR", f.cfg.Now().Sub(start))
			return nil
		case res == ixfrWholeZone:
			f.log.Debug("follow: the primary answered IXFR with the whole zone")
			f.apply(z, "AXFR", f.cfg.Now().Sub(start))
			return nil
		default:
			f.log.Info("follow: the primary answered IXFR with its SOA alone; transferring the whole zone")
		}
	}
	start := f.cfg.Now()
	z, err := f.axfr(ctx)
	if err != nil {
		return err
	}
	f.contact()
	f.apply(z, "AXFR", f.cfg.Now().Sub(start))
	return nil
}

// resolvePrimary learns the primary's addresses (for NOTIFY) when it was
// given by name.
func (f *Follower) resolvePrimary(ctx context.Context) {
	host, _, _ := net.SplitHostPort(f.cfg.Primary)
	if _, err := netip.ParseAddr(host); err == nil {
		return
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return // the check itself reports it
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	f.primary.Store(&addrs)
}

// apply makes z the current version: its Set goes to OnChange, the copy to
// disk.
func (f *Follower) apply(z *zone, kind string, took time.Duration) {
	start := time.Now()
	set, rep := z.toSet(f.cfg.Source, parse.Options{})
	build := time.Since(start)
	old := f.cur.Swap(z)
	f.set.Store(set)
	now := f.cfg.Now()
	f.mu.Lock()
	f.st.Serial, f.st.HasZone, f.st.Restored = z.serial(), true, false
	f.st.Records, f.st.Entries, f.st.Report = z.records, set.Len(), rep
	f.st.LastTransfer, f.st.LastTransferType, f.st.LastTransferMillis = now, kind, took.Milliseconds()
	f.st.LastChange, f.st.LastError = now, ""
	f.st.Refresh, f.st.Retry, f.st.Expire = z.soa.Refresh, z.soa.Retry, z.soa.Expire
	if kind == "AXFR" {
		f.st.AXFR++
	} else {
		f.st.IXFR++
	}
	f.mu.Unlock()
	from := uint32(0)
	if old != nil {
		from = old.serial()
	}
	f.log.Info("follow: zone updated", "type", kind, "from", from, "serial", z.serial(), "records", z.records,
		"entries", set.Len(), "rejected", rep.TotalRejected(), "transfer", took.Round(time.Millisecond), "set", build.Round(time.Millisecond))
	if f.cfg.OnChange != nil {
		f.cfg.OnChange(set)
	}
	f.save(z)
}

// contact records that the primary answered.
func (f *Follower) contact() {
	f.mu.Lock()
	f.st.LastContact = f.cfg.Now()
	f.st.Restored = false
	f.mu.Unlock()
	f.save(f.cur.Load())
}

func (f *Follower) failed(err error, retry time.Duration) {
	f.mu.Lock()
	f.st.LastError, f.st.LastErrorAt = err.Error(), f.cfg.Now()
	f.st.Failures++
	has := f.st.HasZone
	f.mu.Unlock()
	if has {
		f.log.Warn("follow: check failed; serving the copy we have", "err", err, "retry", retry)
	} else {
		f.log.Error("follow: check failed; no copy of the zone yet", "err", err, "retry", retry)
	}
}

func (f *Follower) setNext(t time.Time) {
	f.mu.Lock()
	f.st.NextCheck = t
	f.mu.Unlock()
}

// checkStale logs when the copy passes the SOA expire without contact
// with the primary, and when it is fresh again.
func (f *Follower) checkStale() {
	f.mu.Lock()
	was := f.st.stale
	st := f.statusLocked()
	f.st.stale = st.Stale
	f.mu.Unlock()
	switch {
	case st.Stale && !was:
		f.log.Error("follow: no contact with the primary for longer than the SOA expire; still serving the old copy (marked stale)",
			"last_contact", st.LastContact, "expire", time.Duration(st.Expire)*time.Second)
	case !st.Stale && was:
		f.log.Info("follow: the primary answered again; the copy is current")
	}
}

// restore loads the copy on disk, if any, and hands its Set on.
func (f *Follower) restore() {
	if f.store == nil {
		return
	}
	start := time.Now()
	z, m, err := f.store.load(f.cfg.Zone, f.cfg.MaxRecords)
	if errors.Is(err, os.ErrNotExist) {
		f.log.Info("follow: no saved copy of the zone; waiting for the first transfer", "dir", f.cfg.Dir)
		return
	}
	if err != nil {
		f.log.Error("follow: saved copy not used; waiting for the first transfer", "err", err)
		f.mu.Lock()
		f.st.CopyError = err.Error()
		f.mu.Unlock()
		return
	}
	set, rep := z.toSet(f.cfg.Source, parse.Options{})
	f.cur.Store(z)
	f.set.Store(set)
	f.mu.Lock()
	f.st.Serial, f.st.HasZone, f.st.Restored = z.serial(), true, true
	f.st.Records, f.st.Entries, f.st.Report = z.records, set.Len(), rep
	f.st.LastContact, f.st.LastChange = m.LastContact, m.Saved
	f.st.Refresh, f.st.Retry, f.st.Expire = z.soa.Refresh, z.soa.Retry, z.soa.Expire
	f.mu.Unlock()
	f.log.Info("follow: serving the saved copy until the primary answers", "serial", z.serial(), "records", z.records,
		"entries", set.Len(), "saved", m.Saved, "last_contact", m.LastContact, "took", time.Since(start).Round(time.Millisecond))
	if f.cfg.OnChange != nil {
		f.cfg.OnChange(set)
	}
	f.checkStale()
}

// saveJob asks the saver to write zone (if it is not the one on disk) and
// the metadata with the time of the last contact.
type saveJob struct {
	zone    *zone
	contact time.Time
}

func (f *Follower) save(z *zone) {
	if f.store == nil || z == nil {
		return
	}
	f.mu.Lock()
	job := saveJob{zone: z, contact: f.st.LastContact}
	f.mu.Unlock()
	for {
		select {
		case f.saves <- job:
			return
		default:
		}
		select {
		case <-f.saves: // replaced by the newer job
		default:
		}
	}
}

// saver writes the copy off the follower's goroutine (a million-name zone
// is ~60 MB of text), newest job first, and finishes the pending one when
// stop is closed.
func (f *Follower) saver(stop <-chan struct{}) {
	var onDisk *zone
	var m meta
	do := func(job saveJob) {
		if job.zone == onDisk && job.contact.Sub(m.LastContact) < time.Minute {
			return // the SOA expire is minutes to weeks: a minute off is nothing, an fsync per check is not
		}
		m.Zone, m.Primary, m.LastContact = f.cfg.Zone, f.cfg.Primary, job.contact
		var err error
		if job.zone != onDisk {
			m.Serial, m.Records, m.Saved = job.zone.serial(), job.zone.records, f.cfg.Now()
			start := time.Now()
			var saved meta
			if saved, err = f.store.save(job.zone, m); err == nil {
				onDisk, m = job.zone, saved
				f.log.Debug("follow: copy saved", "serial", m.Serial, "file", f.store.zonePath(), "took", time.Since(start).Round(time.Millisecond))
			}
		} else {
			err = f.store.saveMeta(m)
		}
		if err != nil {
			f.log.Error("follow: copy not saved; a restart while the primary is down would start without it", "err", err)
		}
	}
	if cur := f.cur.Load(); cur != nil {
		if mm, err := f.store.readMeta(); err == nil && mm.Serial == cur.serial() {
			onDisk, m = cur, mm // restored from disk: already there
		}
	}
	for {
		select {
		case job := <-f.saves:
			do(job)
		case <-stop:
			select {
			case job := <-f.saves:
				do(job)
			default:
			}
			return
		}
	}
}
