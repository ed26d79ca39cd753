package follow

import (
	"time"

	"github.com/scamblock/scamblock/feeds/parse"
)

// Status is what /metrics (Collector), the log and service.Ready show about
// the follower.
type Status struct {
	Zone    string `json:"zone"`
	Primary string `json:"primary"`
	Source  string `json:"source"` // the Set's source name, "follow:ZONE"

	HasZone bool         `json:"has_zone"` // a version is in use (from the primary or from disk)
	Serial  uint32       `json:"serial"`   // SOA serial of the version in use
	Records int          `json:"records"`  // records in the zone, SOA not counted
	Entries int          `json:"entries"`  // entries in the Set
	Report  parse.Report `json:"report"`   // records turned into entries, and the rejected ones by reason

	Refresh uint32 `json:"soa_refresh"` // SOA timers of the version in use, seconds
	Retry   uint32 `json:"soa_retry"`
	Expire  uint32 `json:"soa_expire"`

	LastCheck          time.Time `json:"last_check,omitzero"`   // last attempt to reach the primary
	LastContact        time.Time `json:"last_contact,omitzero"` // the primary last answered (SOA or transfer)
	LastTransfer       time.Time `json:"last_transfer,omitzero"`
	LastTransferType   string    `json:"last_transfer_type,omitempty"` // "AXFR" (whole zone, also when an IXFR was answered with it) or "IXFR" (deltas)
	LastTransferMillis int64     `json:"last_transfer_ms,omitempty"`
	LastChange         time.Time `json:"last_change,omitzero"` // the version in use was transferred (or saved, when restored)
	NextCheck          time.Time `json:"next_check,omitzero"`
	LastError          string    `json:"last_error,omitempty"` // of the last check; "" after a success
	LastErrorAt        time.Time `json:"last_error_at,omitzero"`

	// Restored: the version in use is the copy from disk and the primary
	// has not answered since the start.
	Restored bool `json:"restored"`
	// Stale: the primary has not answered for longer than the SOA expire.
	// The copy is still served (see README.md, "Expire").
	Stale     bool   `json:"stale"`
	CacheFile string `json:"cache_file,omitempty"`
	CopyError string `json:"copy_error,omitempty"` // why the copy on disk was not used at start

	AXFR, IXFR      int `json:"-"` // transfers applied
	Failures        int `json:"-"` // checks that failed
	Notifies        int `json:"-"` // NOTIFYs accepted
	NotifiesRefused int `json:"-"` // NOTIFYs not from the primary or with a bad signature

	stale bool // last value logged by checkStale
}

// Status returns the follower's state now.
func (f *Follower) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statusLocked()
}

func (f *Follower) statusLocked() Status {
	st := f.st
	st.stale = false
	if st.HasZone && st.Expire > 0 {
		since := st.LastContact
		if since.IsZero() {
			since = st.LastChange
		}
		st.Stale = f.cfg.Now().Sub(since) > time.Duration(st.Expire)*time.Second
	}
	return st
}
