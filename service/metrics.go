package service

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/scamblock/scamblock/blocklist"
	"github.com/scamblock/scamblock/feeds"
)

// newRegistry returns the registry /metrics serves: the Go runtime, the
// process, the feeds and the compiled lists (the resolver adds its own).
func newRegistry(updater *feeds.Updater, bl *blocklist.Blocklist) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newListsCollector(updater, bl))
	return reg
}

// listsCollector exports the state of the feeds and the compiled lists at
// scrape time. Labels are feed names from the configuration: bounded.
type listsCollector struct {
	updater *feeds.Updater
	bl      *blocklist.Blocklist

	entries, rejected, lastGood, usingCache, names, addresses *prometheus.Desc
	failing, unknownTLD, specialUse, lastChange               *prometheus.Desc
	changeAge, staleAfter, unchanged                          *prometheus.Desc
}

func newListsCollector(updater *feeds.Updater, bl *blocklist.Blocklist) *listsCollector {
	feed := []string{"feed"}
	return &listsCollector{
		updater: updater, bl: bl,
		entries:    prometheus.NewDesc("scamblock_feed_entries", "Entries in the feed copy in use.", feed, nil),
		rejected:   prometheus.NewDesc("scamblock_feed_rejected_lines", "Lines of the feed copy in use that were rejected.", feed, nil),
		lastGood:   prometheus.NewDesc("scamblock_feed_last_good_timestamp_seconds", "When the feed was last fetched successfully.", feed, nil),
		usingCache: prometheus.NewDesc("scamblock_feed_stale", "1 when the last refresh of the feed failed or was refused and an older copy is in use.", feed, nil),
		failing:    prometheus.NewDesc("scamblock_feed_error", "1 when the last load or refresh of the feed failed (e.g. every entry rejected: the wrong format).", feed, nil),
		unknownTLD: prometheus.NewDesc("scamblock_feed_unknown_tld_names", "Accepted names whose TLD the compiled-in Public Suffix List lacks.", feed, nil),
		specialUse: prometheus.NewDesc("scamblock_feed_special_use_names", "Accepted names under a special-use TLD (.lan, home.arpa, .test ...).", feed, nil),
		lastChange: prometheus.NewDesc("scamblock_feed_last_change_timestamp_seconds", "When the feed's content last changed.", feed, nil),
		changeAge:  prometheus.NewDesc("scamblock_feed_last_change_age_seconds", "Seconds since the feed's content last changed.", feed, nil),
		staleAfter: prometheus.NewDesc("scamblock_feed_stale_after_seconds", "The feed's staleness expectation: content unchanged for longer makes it overdue (absent for dormant feeds and local files).", feed, nil),
		unchanged:  prometheus.NewDesc("scamblock_feed_change_overdue", "1 when the feed's content has not changed for longer than its stale_after (a renamed or abandoned upstream file).", feed, nil),
		names:      prometheus.NewDesc("scamblock_lists_names", "Distinct names in the compiled matcher.", nil, nil),
		addresses:  prometheus.NewDesc("scamblock_lists_addresses", "Distinct valid wallet addresses listed.", nil, nil),
	}
}

func (c *listsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.entries, c.rejected, c.lastGood, c.usingCache, c.names, c.addresses, c.failing, c.unknownTLD, c.specialUse, c.lastChange, c.changeAge, c.staleAfter, c.unchanged} {
		ch <- d
	}
}

func (c *listsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, st := range c.updater.Status() {
		if !st.Enabled {
			continue
		}
		rejected := 0
		for _, n := range st.Rejected {
			rejected += n
		}
		stale := 0.0
		if st.UsingCache && st.LastError != "" {
			stale = 1
		}
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(st.Entries), st.Name)
		ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.GaugeValue, float64(rejected), st.Name)
		ch <- prometheus.MustNewConstMetric(c.usingCache, prometheus.GaugeValue, stale, st.Name)
		failing := 0.0
		if st.LastError != "" {
			failing = 1
		}
		ch <- prometheus.MustNewConstMetric(c.failing, prometheus.GaugeValue, failing, st.Name)
		ch <- prometheus.MustNewConstMetric(c.unknownTLD, prometheus.GaugeValue, float64(st.UnknownTLD), st.Name)
		ch <- prometheus.MustNewConstMetric(c.specialUse, prometheus.GaugeValue, float64(st.SpecialUse), st.Name)
		if !st.LastChange.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lastChange, prometheus.GaugeValue, float64(st.LastChange.Unix()), st.Name)
			ch <- prometheus.MustNewConstMetric(c.changeAge, prometheus.GaugeValue, st.LastChangeAge, st.Name)
		}
		if st.StaleAfterSeconds > 0 {
			ch <- prometheus.MustNewConstMetric(c.staleAfter, prometheus.GaugeValue, st.StaleAfterSeconds, st.Name)
		}
		overdue := 0.0
		if st.Stale {
			overdue = 1
		}
		ch <- prometheus.MustNewConstMetric(c.unchanged, prometheus.GaugeValue, overdue, st.Name)
		if !st.LastGood.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lastGood, prometheus.GaugeValue, float64(st.LastGood.Unix()), st.Name)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.names, prometheus.GaugeValue, float64(c.bl.Domains.Load().Len()))
	ch <- prometheus.MustNewConstMetric(c.addresses, prometheus.GaugeValue, float64(c.bl.Wallets.Load().Len()))
}
