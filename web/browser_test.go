package web_test

import (
	"context"
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
	run(t, ctx, waitText("#live", listedName), waitText("#live", "testfeed"), waitText("#live", "Last change"))
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

// focusNext presses Tab until the element with id has the focus, failing
// after limit presses: proof that it is reachable by keyboard alone.
func focusNext(t *testing.T, ctx context.Context, id string, limit int) {
	t.Helper()
	for range limit {
		run(t, ctx, chromedp.KeyEvent(kb.Tab))
		if got := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`)); got == id {
			return
		}
	}
	t.Fatalf("#%s not reached with %d presses of Tab", id, limit)
}

func TestBrowserSubmitByKeyboardReviewApproveBlocks(t *testing.T) {
	srv := startServer(t)
	ctx := tab(t)
	const scam = "fake-crypto-yield.top"
	if rc := resolve(t, srv, scam); rc != dns.RcodeSuccess {
		t.Fatalf("before: %s answered %s", scam, dns.RcodeToString[rc])
	}
	signIn(t, ctx, srv, "submitter")
	// The whole form, with the keyboard alone: Tab from the top of the page.
	run(t, ctx, chromedp.Navigate(srv.url+"/submit"), chromedp.WaitVisible(chromedp.ID("indicators")))
	focusNext(t, ctx, "indicators", 20)
	run(t, ctx, chromedp.KeyEvent(scam+"\nhttps://"+otherName+"/login"))
	focusNext(t, ctx, "category", 2)
	run(t, ctx, chromedp.KeyEvent("investment"))
	focusNext(t, ctx, "evidence", 2)
	run(t, ctx, chromedp.KeyEvent("https://archive.example.org/fake-crypto-yield"))
	focusNext(t, ctx, "note", 2)
	run(t, ctx, chromedp.KeyEvent("promises 2% a day"))
	screenshot(t, ctx, "submit")
	focusNext(t, ctx, "", 1) // the submit button has no id
	if tag := get(t, ctx, chromedp.Evaluate[string](`document.activeElement.textContent`)); tag != "Submit" {
		t.Fatalf("focus on %q after the note, want the Submit button", tag)
	}
	run(t, ctx, chromedp.KeyEvent(kb.Enter), waitText("#results", "Received 2"), waitText("#results", scam))
	if v := get(t, ctx, chromedp.Evaluate[string](`document.querySelector("#results").textContent`)); !strings.Contains(v, "pending") {
		t.Errorf("results %q: want pending", v)
	}

	rev := tab(t)
	signIn(t, rev, srv, "reviewer")
	run(t, rev, chromedp.Navigate(srv.url+"/review"), waitText("main", scam))
	screenshot(t, rev, "review")
	run(t, rev,
		chromedp.Click(chromedp.CSS(`.box button[type=submit]:not([formaction])`)), // approve the first
		waitText("main", "approved: it is blocked now"),
	)
	if rc := resolve(t, srv, scam); rc != dns.RcodeNameError {
		t.Errorf("after approval: %s answered %s, want NXDOMAIN", scam, dns.RcodeToString[rc])
	}
	run(t, ctx, chromedp.Navigate(srv.url+"/submissions"), waitText("#mine", "approved"))
}

func TestBrowserAppealFiledFollowedAndDelisted(t *testing.T) {
	srv := startServer(t)
	const shop = "honest-coin-shop.top"
	// A researcher's submission, approved: the site is blocked.
	sub := tab(t)
	signIn(t, sub, srv, "submitter")
	run(t, sub, chromedp.Navigate(srv.url+"/submit"), chromedp.WaitVisible(chromedp.ID("indicators")),
		chromedp.SendKeys(chromedp.ID("indicators"), shop), chromedp.Submit(chromedp.ID("indicators")), waitText("#results", shop))
	rev := tab(t)
	signIn(t, rev, srv, "reviewer")
	run(t, rev, chromedp.Navigate(srv.url+"/review"), waitText("main", shop),
		chromedp.Click(chromedp.CSS(`.box button[type=submit]:not([formaction])`)), waitText("main", "approved"))
	if rc := resolve(t, srv, shop); rc != dns.RcodeNameError {
		t.Fatalf("approved: %s answered %s", shop, dns.RcodeToString[rc])
	}

	// The owner appeals from the lookup page, signed out.
	owner := tab(t)
	run(t, owner,
		chromedp.Navigate(srv.url+"/lookup?q="+shop),
		waitText("#summary", "Blocked"),
		chromedp.Click(chromedp.CSS(`a[href^="/appeal?indicator="]`)),
		chromedp.WaitVisible(chromedp.ID("reason")),
		chromedp.SendKeys(chromedp.ID("reason"), "This is my shop; we sell coins, not scams."),
		chromedp.SendKeys(chromedp.ID("contact"), "owner@honest-coin-shop.top"),
		chromedp.Submit(chromedp.ID("reason")),
		waitText("#filed", "is filed"),
	)
	code := get(t, owner, chromedp.Text(chromedp.ID("code")))
	screenshot(t, owner, "appeal")

	run(t, rev, chromedp.Navigate(srv.url+"/review"), waitText("main", "This is my shop"),
		chromedp.SendKeys(chromedp.CSS(`input[id^=areason-]`), "Checked: a real shop."),
		chromedp.Click(chromedp.CSS(`.box button:not([formaction])[type=submit]`)), waitText("main", "upheld"))
	if rc := resolve(t, srv, shop); rc != dns.RcodeSuccess {
		t.Errorf("delisted: %s answered %s, want NOERROR", shop, dns.RcodeToString[rc])
	}
	run(t, owner, chromedp.Navigate(srv.url+"/appeal"), chromedp.WaitVisible(chromedp.ID("follow-code")),
		chromedp.SendKeys(chromedp.ID("follow-code"), code), chromedp.Submit(chromedp.ID("follow-code")),
		waitText("#state", "delisted"), waitText("#followed", "Checked: a real shop."))
}

func TestBrowserBlockPageForBlockedHost(t *testing.T) {
	srv := startServer(t)
	ctx := tab(t)
	// The browser asks for the blocked name; the request reaches this
	// listener (as --block-mode ip:ADDR would send it there).
	port := srv.url[strings.LastIndexByte(srv.url, ':'):]
	run(t, ctx,
		chromedp.Navigate("http://"+listedName+port+"/wallet/connect"),
		waitText("#blocked", listedName),
		waitText("main", "testfeed"),
	)
	screenshot(t, ctx, "blockpage")
}
