// Command probe asks a DNS server for one name, again and again, until the
// answer has the wanted response code, and prints the seconds elapsed since
// -start (Unix nanoseconds, taken just before the server was started). It
// measures list load time: start → first answer for a listed name.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

func main() {
	server := flag.String("server", "127.0.0.1:53", "server address (loopback)")
	name := flag.String("name", "", "name to ask for (A)")
	want := flag.String("rcode", "NXDOMAIN", "response code that ends the wait, or ANY")
	start := flag.Int64("start", 0, "start time in Unix nanoseconds (default: now)")
	timeout := flag.Duration("timeout", 2*time.Minute, "give up after this long")
	flag.Parse()
	if *name == "" {
		fmt.Fprintln(os.Stderr, "probe: -name is required")
		os.Exit(2)
	}
	t0 := time.Now()
	if *start != 0 {
		t0 = time.Unix(0, *start)
	}
	rcode, ok := dns.StringToRcode[strings.ToUpper(*want)]
	anyCode := strings.EqualFold(*want, "ANY")
	if !ok && !anyCode {
		fmt.Fprintf(os.Stderr, "probe: unknown rcode %q\n", *want)
		os.Exit(2)
	}
	c := &dns.Client{Net: "udp", Timeout: 50 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(*name), dns.TypeA)
	deadline := time.Now().Add(*timeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		r, _, err := c.Exchange(m, *server)
		switch {
		case err != nil:
			last = err.Error()
			time.Sleep(5 * time.Millisecond)
		case anyCode || r.Rcode == rcode:
			fmt.Println(strconv.FormatFloat(time.Since(t0).Seconds(), 'f', 3, 64))
			return
		default:
			last = dns.RcodeToString[r.Rcode]
			time.Sleep(5 * time.Millisecond)
		}
	}
	fmt.Fprintf(os.Stderr, "probe: %s did not answer %s for %s within %s (last: %s)\n", *server, *want, *name, *timeout, last)
	os.Exit(1)
}
