package web

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/scamblock/scamblock/querystats"
	"github.com/scamblock/scamblock/store"
)

// dashboardPage is the traffic of the last 24 h, the most blocked names
// and sources, the feeds and the upstreams.
type dashboardPage struct {
	Stats    *querystats.Snapshot // nil when the server keeps none
	Chart    template.HTML        // server-rendered SVG
	Feeds    []feedStatus
	CanAllow bool
	Updated  time.Time
}

func (dashboardPage) PageTitle() string { return "Dashboard" }

const topN = 10

func (s *Site) dashboardData(r *http.Request) dashboardPage {
	p := dashboardPage{Updated: s.now()}
	if s.opts.Stats != nil {
		snap := s.opts.Stats.Snapshot(topN)
		p.Stats = &snap
		p.Chart = chart(snap.History)
	}
	if s.opts.Feeds != nil {
		for _, st := range s.opts.Feeds() {
			if st.Enabled {
				p.Feeds = append(p.Feeds, st)
			}
		}
	}
	if sess := s.session(r); sess != nil && sess.Role.Allows(store.RoleAdmin) {
		p.CanAllow = true
	}
	return p
}

func (s *Site) dashboard(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "dashboard", s.dashboardData(r))
}

// dashboardLive is the live part of the dashboard alone, which app.js
// fetches every few seconds and puts in place.
func (s *Site) dashboardLive(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "dashboard_fragment", s.dashboardData(r))
}

// chart draws queries and blocks per 5-minute bucket as two SVG
// polylines. Only numbers go into the markup.
func chart(points []querystats.Point) template.HTML {
	const w, h = 576, 120
	var peak uint64 = 1
	for _, p := range points {
		peak = max(peak, p.Queries, p.Blocks)
	}
	line := func(v func(querystats.Point) uint64) string {
		var b strings.Builder
		for i, p := range points {
			x := float64(i) * w / float64(max(len(points)-1, 1))
			y := h - float64(v(p))*h/float64(peak)
			fmt.Fprintf(&b, "%.0f,%.1f ", x, y)
		}
		return strings.TrimSpace(b.String())
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title" preserveAspectRatio="none">`, w, h+2)
	fmt.Fprintf(&b, `<title id="chart-title">Queries (blue) and blocks (red) per 5 minutes over the last 24 hours; peak %d</title>`, peak)
	fmt.Fprintf(&b, `<polyline class="q" points="%s"/>`, line(func(p querystats.Point) uint64 { return p.Queries }))
	fmt.Fprintf(&b, `<polyline class="b" points="%s"/>`, line(func(p querystats.Point) uint64 { return p.Blocks }))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers only
}
