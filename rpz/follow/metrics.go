package follow

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports the follower's Status at scrape time. Register it
// with the server's registry (prometheus.Registerer.Register).
type Collector struct {
	f *Follower

	serial, records, entries, rejected, lastContact, lastChange, stale, transfers, failures, notifies *prometheus.Desc
}

// Collector returns the follower's Prometheus collector. Every metric has
// the label zone.
func (f *Follower) Collector() *Collector {
	zone := prometheus.Labels{"zone": f.st.Zone}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("scamblock_follow_"+name, help, labels, zone)
	}
	return &Collector{
		f:           f,
		serial:      d("serial", "SOA serial of the followed zone's version in use."),
		records:     d("records", "Records in the followed zone's version in use (SOA not counted)."),
		entries:     d("entries", "List entries made from the followed zone."),
		rejected:    d("rejected_records", "Records of the followed zone that made no entry (unsupported RPZ rules)."),
		lastContact: d("last_contact_timestamp_seconds", "When the primary last answered."),
		lastChange:  d("last_change_timestamp_seconds", "When the version in use was transferred."),
		stale:       d("stale", "1 when the primary has not answered for longer than the SOA expire (the old copy is still served)."),
		transfers:   d("transfers_total", "Transfers applied, by type.", "type"),
		failures:    d("check_failures_total", "Checks of the primary that failed."),
		notifies:    d("notifies_total", "NOTIFY messages received, by result.", "result"),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.serial, c.records, c.entries, c.rejected, c.lastContact, c.lastChange, c.stale, c.transfers, c.failures, c.notifies} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.f.Status()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	if st.HasZone {
		gauge(c.serial, float64(st.Serial))
		gauge(c.records, float64(st.Records))
		gauge(c.entries, float64(st.Entries))
		gauge(c.rejected, float64(st.Report.TotalRejected()))
	}
	if !st.LastContact.IsZero() {
		gauge(c.lastContact, float64(st.LastContact.Unix()))
	}
	if !st.LastChange.IsZero() {
		gauge(c.lastChange, float64(st.LastChange.Unix()))
	}
	stale := 0.0
	if st.Stale {
		stale = 1
	}
	gauge(c.stale, stale)
	counter(c.transfers, st.AXFR, "axfr")
	counter(c.transfers, st.IXFR, "ixfr")
	counter(c.failures, st.Failures)
	counter(c.notifies, st.Notifies, "accepted")
	counter(c.notifies, st.NotifiesRefused, "refused")
}
