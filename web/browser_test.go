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

func TestBrowserAdminAllowsFalsePositive(t *testing.T) {
	srv := startServer(t)
	ctx := tab(t)
	if rc := resolve(t, srv, falseName); rc != dns.RcodeNameError {
		t.Fatalf("before: %s answered %s, want NXDOMAIN", falseName, dns.RcodeToString[rc])
	}
	signIn(t, ctx, srv, "admin")
	run(t, ctx,
		chromedp.Navigate(srv.url+"/lookup?q="+falseName),
		waitText("#summary", "Blocked"),
		chromedp.SendKeys(chromedp.ID("allow-reason"), "our bakery, listed by mistake"),
		chromedp.KeyEvent(kb.Enter),
		waitText("#summary", "Not blocked"),
		waitText("main", "added by admin"),
	)
	// The allow rule applies before the page comes back.
	if rc := resolve(t, srv, "www."+falseName); rc != dns.RcodeSuccess {
		t.Errorf("after allowing: www.%s answered %s, want NOERROR", falseName, dns.RcodeToString[rc])
	}
	run(t, ctx, chromedp.Navigate(srv.url+"/allowlist"), waitText("#allowed", "our bakery, listed by mistake"))
	screenshot(t, ctx, "allowlist")
	run(t, ctx,
		chromedp.Click(chromedp.CSS(`#allowed button`)),
		waitText("main", "blocked again"),
	)
	if rc := resolve(t, srv, falseName); rc != dns.RcodeNameError {
		t.Errorf("after removing: %s answered %s, want NXDOMAIN", falseName, dns.RcodeToString[rc])
	}
}
