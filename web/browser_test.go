package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/miekg/dns"
)

func TestBrowserLookupListedAndClean(t *testing.T) {
	srv := startServer(t)
	ctx := tab(t)
	run(t, ctx,
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), listedName),
		chromedp.KeyEvent(kb.Enter),
		waitText("#summary", "Blocked"),
	)
	summary := get(t, ctx, chromedp.Text(chromedp.ID("summary")))
	if !strings.Contains(summary, listedName) || !strings.Contains(summary, "testfeed") {
		t.Errorf("summary %q: want the name and the source", summary)
	}
	loc := get(t, ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/lookup?q="+listedName) {
		t.Errorf("location %q: want a shareable /lookup?q= URL", loc)
	}
	screenshot(t, ctx, "lookup")

	run(t, ctx,
		chromedp.Navigate(srv.url+"/lookup?q="+cleanName),
		waitText("#summary", "Not listed"),
	)
}

func TestBrowserDashboardShowsBlocksLive(t *testing.T) {
	srv := startServer(t)
	ctx := tab(t)
	run(t, ctx, chromedp.Navigate(srv.url+"/dashboard"), waitText("#topnames", "Most blocked"))
	// Blocks after the page loaded show without a reload.
	if rc := resolve(t, srv, listedName); rc != dns.RcodeNameError {
		t.Fatalf("%s: rcode %s, want NXDOMAIN", listedName, dns.RcodeToString[rc])
	}
	resolve(t, srv, cleanName)
	run(t, ctx, waitText("#live", listedName), waitText("#live", "testfeed"))
	screenshot(t, ctx, "dashboard")
}
