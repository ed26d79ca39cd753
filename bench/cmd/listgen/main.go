// Command listgen builds the inputs of bench/run: one list of N blocked
// names (the real hosts of ../shared/data/feeds plus generated ones), written
// as a scamblock feed and as an Unbound local-zone include, a second variant
// of the feed for the refresh test, and the dnsperf query files.
//
// Every name goes through lists.NormalizeHost and the default guard, so both
// servers are given exactly the names scamblock would apply.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.n, "n", 1_000_000, "number of blocked names")
	flag.StringVar(&cfg.feeds, "feeds", "", "feed directory (real names); empty or missing: generated names only")
	flag.StringVar(&cfg.out, "out", "", "output directory (required)")
	flag.IntVar(&cfg.queries, "queries", 100_000, "lines per query file")
	flag.IntVar(&cfg.allowed, "allowed", 10_000, "distinct allowed (cached) names")
	flag.IntVar(&cfg.churn, "churn", 1000, "names that differ between list.txt and list-b.txt")
	flag.Uint64Var(&cfg.seed, "seed", 7, "random seed")
	flag.BoolVar(&cfg.listOnly, "list-only", false, "write only list.txt, probe-name.txt and counts.txt (bench/run's scale table: no Unbound include, no query files)")
	flag.Parse()
	if cfg.out == "" || cfg.n < 2*cfg.churn+10 {
		fmt.Fprintln(os.Stderr, "listgen: -out is required and -n must exceed 2*churn+10")
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "listgen:", err)
		os.Exit(1)
	}
}

type config struct {
	n, queries, allowed, churn int
	feeds, out                 string
	seed                       uint64
	listOnly                   bool
}

func run(cfg config) error {
	rng := rand.New(rand.NewPCG(cfg.seed, cfg.seed^0x9e3779b97f4a7c15))
	ns, err := pickNames(cfg, rng, lists.DefaultGuard())
	if err != nil {
		return err
	}
	if err := ns.writeFiles(cfg, rng); err != nil {
		return err
	}
	real, names, allowed := ns.real, ns.names, ns.allowed
	fmt.Printf("listgen: %d names (%d real from feeds, %d generated), %d allowed names, query files of %d lines in %s\n",
		len(names), len(real), len(names)-len(real), len(allowed), cfg.queries, cfg.out)
	return nil
}

// nameSet is what the files are made of: the blocked names (the real ones
// first), the churn names that replace the last ones in list-b.txt, and
// allowed names under none of them.
type nameSet struct {
	real, names, stable, other, allowed []string
	gen                                 *generator
}

// pickNames takes the real names of the feed folder (shuffled, at most n -
// churn) and generates the rest of the n names, the churn names and the
// allowed names.
func pickNames(cfg config, rng *rand.Rand, guard *lists.Guard) (nameSet, error) {
	seen := make(map[string]struct{}, cfg.n+cfg.allowed+cfg.churn)
	var real []string
	if cfg.feeds != "" {
		var err error
		if real, err = readFeeds(cfg.feeds, guard, seen); err != nil {
			return nameSet{}, err
		}
	}
	rng.Shuffle(len(real), func(i, j int) { real[i], real[j] = real[j], real[i] })
	// Keep room for the churn tail, which is always generated.
	if max := cfg.n - cfg.churn; len(real) > max {
		for _, h := range real[max:] {
			delete(seen, h)
		}
		real = real[:max]
	}
	gen := &generator{rng: rng, seen: seen}
	names := append([]string(nil), real...)
	for len(names) < cfg.n {
		names = append(names, gen.name(guard))
	}
	// The last churn names are swapped for others in list-b.txt; query
	// files only use names present in both lists.
	stable := names[:len(names)-cfg.churn]
	other := make([]string, cfg.churn)
	for i := range other {
		other[i] = gen.name(guard)
	}
	listed := make(map[string]struct{}, len(names)+len(other))
	for _, h := range names {
		listed[h] = struct{}{}
	}
	for _, h := range other {
		listed[h] = struct{}{}
	}
	allowed := make([]string, 0, cfg.allowed)
	for len(allowed) < cfg.allowed {
		if h := gen.name(guard); !underListed(h, listed) {
			allowed = append(allowed, h)
		}
	}
	return nameSet{real: real, names: names, stable: stable, other: other, allowed: allowed, gen: gen}, nil
}

// writeFiles writes the feed variants, the Unbound include, the query
// files and the probe names into cfg.out.
func (ns nameSet) writeFiles(cfg config, rng *rand.Rand) error {
	real, names, stable, other, allowed, gen := ns.real, ns.names, ns.stable, ns.other, ns.allowed, ns.gen
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	write := func(name string, lines func(w *bufio.Writer)) error {
		f, err := os.Create(filepath.Join(cfg.out, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		lines(w)
		if err := w.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", name, err)
		}
		return f.Close()
	}
	feed := func(tail []string) func(w *bufio.Writer) {
		return func(w *bufio.Writer) {
			w.WriteString("# scamblock benchmark list (bench/cmd/listgen)\n")
			for _, h := range stable {
				w.WriteString(h)
				w.WriteByte('\n')
			}
			for _, h := range tail {
				w.WriteString(h)
				w.WriteByte('\n')
			}
		}
	}
	sample := func(src []string) string { return src[rng.IntN(len(src))] }
	// Real names are what clients ask for most; sample them at least half
	// of the time when there are any.
	blocked := func() string {
		if len(real) > 0 && rng.IntN(2) == 0 {
			return sample(real)
		}
		return sample(stable)
	}
	steps := []struct {
		file  string
		lines func(w *bufio.Writer)
	}{
		{"list.txt", feed(names[len(names)-cfg.churn:])},
		{"list-b.txt", feed(other)},
		{"unbound-zones.conf", func(w *bufio.Writer) {
			for _, h := range names {
				fmt.Fprintf(w, "local-zone: \"%s.\" always_nxdomain\n", h)
			}
		}},
		{"q-blocked.txt", func(w *bufio.Writer) {
			for range cfg.queries {
				fmt.Fprintf(w, "%s A\n", blocked())
			}
		}},
		{"q-subdomain.txt", func(w *bufio.Writer) {
			for range cfg.queries {
				fmt.Fprintf(w, "%s.%s A\n", gen.label(1+rng.IntN(2)), blocked())
			}
		}},
		{"q-allowed.txt", func(w *bufio.Writer) {
			for i := range cfg.queries {
				fmt.Fprintf(w, "%s A\n", allowed[i%len(allowed)])
			}
		}},
		{"q-warm.txt", func(w *bufio.Writer) {
			for _, h := range allowed {
				fmt.Fprintf(w, "%s A\n", h)
			}
		}},
		{"q-mix.txt", func(w *bufio.Writer) {
			for range cfg.queries {
				if rng.IntN(100) < 5 {
					fmt.Fprintf(w, "%s A\n", blocked())
				} else {
					fmt.Fprintf(w, "%s A\n", sample(allowed))
				}
			}
		}},
		{"probe-name.txt", func(w *bufio.Writer) { fmt.Fprintln(w, stable[len(stable)-1]) }},
		{"probe-a.txt", func(w *bufio.Writer) { fmt.Fprintln(w, names[len(names)-1]) }}, // only in list.txt
		{"probe-b.txt", func(w *bufio.Writer) { fmt.Fprintln(w, other[len(other)-1]) }}, // only in list-b.txt
		{"counts.txt", func(w *bufio.Writer) {
			fmt.Fprintf(w, "names=%d real=%d generated=%d allowed=%d churn=%d\n", len(names), len(real), len(names)-len(real), len(allowed), cfg.churn)
		}},
	}
	for _, s := range steps {
		if cfg.listOnly && s.file != "list.txt" && s.file != "probe-name.txt" && s.file != "counts.txt" {
			continue
		}
		if err := write(s.file, s.lines); err != nil {
			return err
		}
	}
	return nil
}

// underListed reports whether h or one of its parent names is listed.
func underListed(h string, listed map[string]struct{}) bool {
	for {
		if _, ok := listed[h]; ok {
			return true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			return false
		}
		h = h[i+1:]
	}
}

// readFeeds parses every feed file under dir with the project's parsers and
// returns the distinct blocked host names (domain entries, not guarded).
func readFeeds(dir string, guard *lists.Guard, seen map[string]struct{}) ([]string, error) {
	if _, err := os.Stat(dir); err != nil {
		fmt.Fprintf(os.Stderr, "listgen: no feed directory (%v); using generated names only\n", err)
		return nil, nil
	}
	var out []string
	quiet := slog.New(slog.DiscardHandler)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := d.Name()
		if strings.HasSuffix(base, ".md") || base == "SHA256SUMS" || strings.HasPrefix(base, "LICENSE") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		head := make([]byte, 4096)
		n, _ := f.Read(head)
		format, err := parse.Detect(path, head[:n])
		if err != nil {
			quiet.Debug("skip", "file", path, "err", err)
			return nil
		}
		if _, err := f.Seek(0, 0); err != nil {
			return err
		}
		_, err = parse.Parse(format, f, parse.OptionsFor(path), func(e lists.Entry) {
			if e.Kind != lists.KindDomain || e.Action != lists.Block {
				return
			}
			h, err := lists.NormalizeHost(e.Value)
			if err != nil {
				return
			}
			if _, g := guard.Check(h); g {
				return
			}
			if _, dup := seen[h]; dup {
				return
			}
			seen[h] = struct{}{}
			out = append(out, h)
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "listgen: %s: %v (entries before the error kept)\n", path, err)
		}
		return nil
	})
	return out, err
}

// generator makes realistic, unique host names: words and random letters
// under real top-level domains, like the names scam feeds list.
type generator struct {
	rng  *rand.Rand
	seen map[string]struct{}
}

var (
	words = strings.Fields(`wallet claim airdrop connect secure verify support token swap bridge
		stake mint reward bonus defi nft coin crypto chain ledger trust meta mask uni pancake
		binance coinbase kraken opensea blur pepe shib doge sol eth btc usdt finance exchange
		trade invest profit yield vault portal app dapp web3 node sync restore recover login
		auth official global pro live my get the best fast safe free gift drop event promo`)
	tlds = strings.Fields(`com com com com net org io xyz top app online site info co live
		shop click link club pro cc me us uk de fr ru cn in br vip fun space store tech website
		finance money exchange network digital world today cloud dev`)
)

const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// label returns n joined words or random letters.
func (g *generator) label(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 && g.rng.IntN(3) == 0 {
			b.WriteByte('-')
		}
		if g.rng.IntN(3) == 0 {
			for range 3 + g.rng.IntN(8) {
				b.WriteByte(alnum[g.rng.IntN(len(alnum))])
			}
		} else {
			b.WriteString(words[g.rng.IntN(len(words))])
		}
	}
	return b.String()
}

// name returns a new unique normalized name that the guard does not protect.
func (g *generator) name(guard *lists.Guard) string {
	for {
		s := g.label(1+g.rng.IntN(3)) + "." + tlds[g.rng.IntN(len(tlds))]
		if g.rng.IntN(5) == 0 {
			s = g.label(1) + "." + s
		}
		h, err := lists.NormalizeHost(s)
		if err != nil {
			continue
		}
		if _, dup := g.seen[h]; dup {
			continue
		}
		if _, guarded := guard.Check(h); guarded {
			continue
		}
		g.seen[h] = struct{}{}
		return h
	}
}
