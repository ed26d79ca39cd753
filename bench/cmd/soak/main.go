// Command soak runs scamblock for a long time under a realistic mix and
// abuse, and says whether it stays flat (issue 12): UDP queries at a fixed
// rate (blocked, cached and unique names), a feed rewrite + SIGHUP every
// 10 s, a researcher submission every second, and in the background the
// TCP abuse of issue 12 (slow readers pipelining queries for a 4.6 KB
// answer and never reading; idle-but-alive connections holding the
// connection cap) while a well-behaved TCP client measures how long it
// waits. Every 30 s it prints RSS, goroutines, open TCP connections and
// lost queries; at the end a verdict.
//
// With -attack-only it runs just the slow-reader attack against the binary
// (for before/after measurements on older builds) and prints RSS and
// goroutines.
//
// Everything binds 127.0.0.1 (the abuse also uses 127.0.0.2-9 and
// 127.0.0.200 as other clients). See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

type options struct {
	bin         string
	duration    time.Duration
	qps         int
	report      time.Duration
	warmup      time.Duration
	names       int
	slowConns   int
	slowQueries int
	holdConns   int
	attackOnly  bool
	keep        bool
	abuseNice   int
	reconnect   time.Duration
	abuseChild  bool
	dns         string
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "scamblock binary (required)")
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "how long to run")
	flag.IntVar(&o.qps, "qps", 20000, "UDP queries per second of the well-behaved load")
	flag.DurationVar(&o.report, "report", 30*time.Second, "time between report lines")
	flag.DurationVar(&o.warmup, "warmup", 0, "warm-up excluded from the verdict (0: a fifth of -duration, at most 2m)")
	flag.IntVar(&o.names, "names", 50000, "names in the feed")
	flag.IntVar(&o.slowConns, "slow-conns", 200, "slow-reader TCP connections kept open (reopened when the server closes them)")
	flag.IntVar(&o.slowQueries, "slow-queries", 3000, "queries each slow reader pipelines for a 4.6 KB answer")
	flag.IntVar(&o.holdConns, "hold-conns", 1000, "idle-but-alive TCP connections the lock-out attacker tries to hold (from 127.0.0.2-9)")
	flag.BoolVar(&o.attackOnly, "attack-only", false, "run only the slow-reader attack (-slow-conns x -slow-queries) and print RSS and goroutines")
	flag.BoolVar(&o.keep, "keep", false, "keep the temp dir")
	flag.IntVar(&o.abuseNice, "abuse-nice", 10, "run the TCP attacker as a separate process under nice -n N (it then competes with the server for the CPUs, not with the well-behaved client and the upstream); -1: in this process")
	flag.DurationVar(&o.reconnect, "reconnect", time.Second, "how long an attacker waits before reopening a connection the server closed (its pace)")
	flag.BoolVar(&o.abuseChild, "abuse-child", false, "internal: be the attacker process (with -dns)")
	flag.StringVar(&o.dns, "dns", "", "internal: the server's DNS address, for -abuse-child")
	flag.Parse()
	if o.abuseChild {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		abuseChild(ctx, o, o.dns)
		return
	}
	if o.bin == "" {
		fmt.Fprintln(os.Stderr, "soak: -bin PATH is required (go build -o /tmp/scamblock ./cmd/scamblock)")
		os.Exit(2)
	}
	if o.warmup == 0 {
		o.warmup = min(o.duration/5, 2*time.Minute)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) (bool, error) {
	dir, err := os.MkdirTemp("", "sbsoak.")
	if err != nil {
		return false, err
	}
	if !o.keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Println("temp dir:", dir)
	}
	up, err := startUpstream()
	if err != nil {
		return false, err
	}
	defer up.close()
	feed := filepath.Join(dir, "soak.txt")
	if err := writeFeed(feed, o.names, 0); err != nil {
		return false, err
	}
	token := ""
	if !o.attackOnly {
		if token, err = createToken(o.bin, dir); err != nil {
			return false, err
		}
	}
	srv, err := startServer(ctx, o.bin, dir, feed, up.addr)
	if err != nil {
		return false, err
	}
	defer srv.stop()
	if o.attackOnly {
		return attackOnly(ctx, o, srv)
	}
	return soak(ctx, o, srv, feed, token)
}

// createToken makes a submitter token in the data directory before the
// server holds the store.
func createToken(bin, dir string) (string, error) {
	out, err := exec.Command(bin, "token", "create", "--data-dir", filepath.Join(dir, "data"), "--role", "submitter", "--name", "soak").Output()
	if err != nil {
		return "", fmt.Errorf("token create: %w", err)
	}
	lines := splitLines(string(out))
	if len(lines) == 0 {
		return "", fmt.Errorf("token create printed nothing")
	}
	return lines[len(lines)-1], nil
}
