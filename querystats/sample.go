package querystats

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Series the sampler reads (the resolver registers them).
const (
	QueriesMetric  = "scamblock_dns_queries_total"
	UpstreamMetric = "scamblock_dns_upstream_duration_seconds"
)

// Run samples g every interval until ctx ends.
func (s *Stats) Run(ctx context.Context, g prometheus.Gatherer, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Gather(g); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Gather takes one sample of the query counter and the upstream histogram.
func (s *Stats) Gather(g prometheus.Gatherer) error {
	fams, err := g.Gather()
	if err != nil {
		return fmt.Errorf("query statistics: gather metrics: %w", err)
	}
	var queries, blocks float64
	var ups []Upstream
	for _, f := range fams {
		switch f.GetName() {
		case QueriesMetric:
			for _, m := range f.GetMetric() {
				v := m.GetCounter().GetValue()
				queries += v
				if label(m, "outcome") == "blocked" {
					blocks += v
				}
			}
		case UpstreamMetric:
			ups = upstreams(f.GetMetric())
		}
	}
	s.Sample(queries, blocks)
	s.SetUpstreams(ups)
	return nil
}

func upstreams(ms []*dto.Metric) []Upstream {
	by := map[string]*Upstream{}
	var order []string
	for _, m := range ms {
		name := label(m, "upstream")
		u := by[name]
		if u == nil {
			u = &Upstream{Name: name}
			by[name] = u
			order = append(order, name)
		}
		h := m.GetHistogram()
		if label(m, "result") == "ok" {
			u.OK = h.GetSampleCount()
			if u.OK > 0 {
				u.Mean = time.Duration(h.GetSampleSum() / float64(u.OK) * float64(time.Second))
			}
		} else {
			u.Errors = h.GetSampleCount()
		}
	}
	slices.SortFunc(order, strings.Compare)
	out := make([]Upstream, 0, len(order))
	for _, n := range order {
		out = append(out, *by[n])
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
