package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type sample struct {
	at         time.Duration
	rss        int64
	goroutines float64
}

// soak runs the whole mix for o.duration and prints the verdict.
func soak(ctx context.Context, o options, srv *server, feed, token string) (bool, error) {
	fmt.Printf("soak: %v at %d qps UDP, SIGHUP + feed rewrite every 10 s, a submission every 1 s, TCP abuse: %d slow readers x %d queries, %d idle holders, reconnecting after %v, attacker at nice %d (-1: in process); report every %v, warm-up %v; load average %s\n",
		o.duration, o.qps, o.slowConns, o.slowQueries, o.holdConns, o.reconnect, o.abuseNice, o.report, o.warmup, loadAvg())
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	load, ab := &udpLoad{}, &abuse{reconnect: o.reconnect}
	var loadErr, abuseErr error
	wg.Go(func() { loadErr = load.run(ctx, srv.dns, o.qps, o.names) })
	wg.Go(func() { abuseErr = ab.run(ctx, o, srv.dns) })
	wg.Go(func() { ab.goodClient(ctx, srv.dns) })
	var hups, hupErrs, subs, subErrs atomic.Int64
	var lastSubErr atomic.Value
	wg.Go(func() {
		for g := 1; ctx.Err() == nil; g++ {
			sleep(ctx, 10*time.Second)
			if ctx.Err() != nil {
				return
			}
			if writeFeed(feed, o.names, g) != nil || srv.hup() != nil {
				hupErrs.Add(1)
				continue
			}
			hups.Add(1)
		}
	})
	wg.Go(func() {
		client := http.Client{Timeout: 10 * time.Second}
		for i := 0; ctx.Err() == nil; i++ {
			sleep(ctx, time.Second)
			if ctx.Err() != nil {
				return
			}
			body := fmt.Sprintf(`{"indicator":"soak-%d-%d.example","category":"scam"}`, time.Now().Unix(), i)
			req, _ := http.NewRequest("POST", "http://"+srv.http+"/v1/submissions", bytes.NewBufferString(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode >= 300 {
					err = fmt.Errorf("%s", resp.Status)
				}
			}
			if err != nil {
				subErrs.Add(1)
				lastSubErr.Store(err.Error())
				continue
			}
			subs.Add(1)
		}
	})

	samples := report(ctx, o, srv, load, ab, &hups, &subs)
	cancel()
	wg.Wait()
	if loadErr != nil {
		return false, loadErr
	}
	if abuseErr != nil {
		return false, abuseErr
	}
	logErrors := countLogErrors(filepath.Join(filepath.Dir(feed), "scamblock.log"))
	return verdict(o, samples, load, ab, hupErrs.Load(), subErrs.Load(), lastSubErr, logErrors), nil
}

// report prints a line every o.report until ctx ends and returns the
// samples the verdict judges.
func report(ctx context.Context, o options, srv *server, load *udpLoad, ab *abuse, hups, subs *atomic.Int64) []sample {
	start := time.Now()
	var samples []sample
	var prevSent, prevAns int64
	srvDrops0 := udpDrops(port(srv.dns))
	pid := srv.cmd.Process.Pid
	prevCPU, prevWait, prevAt := cpuSeconds(pid), runqueueWait(pid), start
	fmt.Printf("%6s %5s %7s %6s %5s %7s %9s %7s %6s %8s %6s %5s %5s %6s %6s %-22s %4s %4s\n", "t", "load", "RSS MiB", "gorout", "tcp", "udp qps", "answered",
		"retried", "lost", "srv drop", "c drop", "srvf", "s cpu", "s wait", "tcpcls", "good TCP n/fail p50/max", "hup", "subs")
	tick := time.NewTicker(o.report)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		m, err := srv.metrics()
		if err != nil {
			fmt.Println("metrics:", err)
		}
		s := sample{at: time.Since(start).Round(time.Second), rss: srv.rss(), goroutines: sum(m, "go_goroutines")}
		if !done { // the last line is taken while the clients stop: not judged
			samples = append(samples, s)
		}
		cports := load.localPorts() // new sockets: their drop counts start at 0
		now, cpu, wait := time.Now(), cpuSeconds(pid), runqueueWait(pid)
		sent, ans := load.sent.Load(), load.answered.Load()
		n, fail, p50, worst, _ := ab.goodStats()
		fmt.Printf("%6v %5s %7.1f %6.0f %5.0f %7.0f %9d %7d %6d %8d %6d %5d %5.2f %6.2f %6.0f %4d/%d %8v/%-8v %4d %4d\n",
			s.at, loadAvg(), float64(s.rss)/(1<<20), s.goroutines, sum(m, "scamblock_dns_tcp_connections"),
			float64(sent-prevSent)/o.report.Seconds(), ans-prevAns, load.retried.Load(), load.lost.Load(),
			udpDrops(port(srv.dns))-srvDrops0, udpDrops(cports...), load.servfail.Load(),
			(cpu-prevCPU)/now.Sub(prevAt).Seconds(), (wait-prevWait)/now.Sub(prevAt).Seconds(),
			sum(m, "scamblock_dns_tcp_closed_total"), n, fail, p50.Round(time.Millisecond), worst.Round(time.Millisecond), hups.Load(), subs.Load())
		prevSent, prevAns, prevCPU, prevWait, prevAt = sent, ans, cpu, wait, now
	}
	return samples
}

func countLogErrors(path string) []string {
	b, _ := os.ReadFile(path)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") {
			out = append(out, l)
		}
	}
	return out
}

func verdict(o options, samples []sample, load *udpLoad, ab *abuse, hupErrs, subErrs int64, lastSubErr atomic.Value, logErrors []string) bool {
	ok := true
	var after []sample
	for _, s := range samples {
		if s.at >= o.warmup {
			after = append(after, s)
		}
	}
	check := func(what string, good bool, format string, args ...any) {
		mark := "ok  "
		if !good {
			mark, ok = "FAIL", false
		}
		fmt.Printf("%s %-28s %s\n", mark, what, fmt.Sprintf(format, args...))
	}
	if len(after) < 2 {
		check("samples after warm-up", false, "%d (run longer than the warm-up)", len(after))
	} else {
		base := after[0]
		var rssLo, rssHi, gLo, gHi = base.rss, base.rss, base.goroutines, base.goroutines
		for _, s := range after {
			rssLo, rssHi = min(rssLo, s.rss), max(rssHi, s.rss)
			gLo, gHi = min(gLo, s.goroutines), max(gHi, s.goroutines)
		}
		check("RSS flat (±10 %)", float64(rssHi) <= 1.1*float64(base.rss) && float64(rssLo) >= 0.9*float64(base.rss),
			"after warm-up %.1f MiB, range %.1f-%.1f MiB", float64(base.rss)/(1<<20), float64(rssLo)/(1<<20), float64(rssHi)/(1<<20))
		check("goroutines flat (±10 %)", gHi <= 1.1*base.goroutines && gLo >= 0.9*base.goroutines,
			"after warm-up %.0f, range %.0f-%.0f", base.goroutines, gLo, gHi)
	}
	check("lost UDP queries", load.lost.Load() == 0, "%d of %d sent (%d answered; %d needed their retry)", load.lost.Load(), load.sent.Load(), load.answered.Load(), load.retried.Load())
	check("SERVFAIL answers", load.servfail.Load() == 0, "%d", load.servfail.Load())
	last, _ := lastSubErr.Load().(string)
	check("submission errors", subErrs == 0, "%d %s", subErrs, last)
	check("reload errors", hupErrs == 0, "%d", hupErrs)
	check("errors in the server log", len(logErrors) == 0, "%d %s", len(logErrors), strings.Join(logErrors[:min(len(logErrors), 3)], " | "))
	fmt.Printf("     TCP abuse: %d slow-reader connections opened, %d holder connections opened (%d closed on them)\n",
		ab.slowOpens.Load(), ab.holdOpens.Load(), ab.holdLost.Load())
	n, fail, p50, p99, worst := ab.goodTotal()
	fmt.Printf("     well-behaved TCP client (127.0.0.200, connect + 1 query every 2 s) during the abuse: %d served, %d failed; time to be served p50 %v, p99 %v, max %v\n",
		n, fail, p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond))
	if ok {
		fmt.Println("VERDICT: PASS")
	} else {
		fmt.Println("VERDICT: FAIL")
	}
	return ok
}

// attackOnly runs the slow-reader attack alone and prints RSS and
// goroutines every 5 s for o.duration.
func attackOnly(ctx context.Context, o options, srv *server) (bool, error) {
	m, _ := srv.metrics()
	fmt.Printf("before: RSS %.1f MiB, %.0f goroutines\n", float64(srv.rss())/(1<<20), sum(m, "go_goroutines"))
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	ab := &abuse{reconnect: o.reconnect}
	var wg sync.WaitGroup
	wg.Go(func() { ab.slowReaders(ctx, srv.dns, o.slowConns, o.slowQueries) })
	start := time.Now()
	peakRSS, peakG, peakK := int64(0), 0.0, int64(0)
	for ctx.Err() == nil {
		sleep(ctx, 5*time.Second)
		m, _ := srv.metrics()
		rss, g, k := srv.rss(), sum(m, "go_goroutines"), kernelTCPMem()
		peakRSS, peakG, peakK = max(peakRSS, rss), max(peakG, g), max(peakK, k)
		fmt.Printf("%5v RSS %6.1f MiB  goroutines %6.0f  kernel TCP buffers %6.1f MiB  slow-reader connections opened %d\n",
			time.Since(start).Round(time.Second), float64(rss)/(1<<20), g, float64(k)/(1<<20), ab.slowOpens.Load())
	}
	cancel()
	wg.Wait()
	m, _ = srv.metrics()
	fmt.Printf("peak: RSS %.1f MiB, %.0f goroutines, kernel TCP buffers %.1f MiB; after the attacker closed: RSS %.1f MiB, %.0f goroutines\n",
		float64(peakRSS)/(1<<20), peakG, float64(peakK)/(1<<20), float64(srv.rss())/(1<<20), sum(m, "go_goroutines"))
	return true, nil
}
