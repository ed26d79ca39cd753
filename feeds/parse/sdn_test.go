package parse

import (
	"os"
	"strings"
	"testing"

	"github.com/scamblock/scamblock/lists"
)

// testdata/sdn-sample.csv has the shape of OFAC's sdn.csv: no header, 12
// columns, "-0- " for empty fields, CRLF, wallets in the remarks column,
// a final full stop, a remarks column cut at 1,000 characters inside an
// address, a TRON address filed under XBT, a transaction hash filed under
// ETH, and the 0x1a byte at the end. The addresses are real OFAC ones
// (from ../shared's 0xB10C extraction).
func TestOFACSDNCSV(t *testing.T) {
	b, err := os.ReadFile("testdata/sdn-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Detect("downloads/sdn.csv", b); f != FormatOFACSDN {
		t.Fatalf("Detect by name = %q (%v)", f, err)
	}
	if f, err := Detect("https://example.org/export?id=7", b); f != FormatOFACSDN {
		t.Fatalf("Detect by content = %q (%v)", f, err)
	}
	var got []string
	rep, err := Parse(FormatOFACSDN, strings.NewReader(string(b)), Options{}, func(e lists.Entry) {
		got = append(got, e.Chain+":"+e.Value+" "+e.Category+" "+strings.Join(e.Links, ","))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"btc:123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX sanctioned OFAC SDN 17085: SUEX OTC, S.R.O. [CYBER2] (XBT)",
		"eth:0x01e2919679362dFBC9ee1644Ba9C6da6D6245BB1 sanctioned OFAC SDN 17085: SUEX OTC, S.R.O. [CYBER2] (ETH)",
		":TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSg sanctioned OFAC SDN 17085: SUEX OTC, S.R.O. [CYBER2] (XBT)",
		"trx:TMStbg5fgb4uTV7fK1gEYF9hKAzP3siPsG sanctioned OFAC SDN 17085: SUEX OTC, S.R.O. [CYBER2] (TRX)",
		"btc:125W5ek3DT6Zqy5S2iPt4FHQdNMCbZA3FU sanctioned OFAC SDN 9999: CUT OFF ENTITY [CYBER2] (XBT)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if rep.Rejected[ReasonCutOff] != 1 || rep.Rejected[ReasonTxHash] != 1 || rep.TotalRejected() != 2 {
		t.Fatalf("rejects %v %v", rep.Rejected, rep.Examples)
	}
	if ex := rep.Examples[ReasonCutOff][0]; ex.Line != 3 || !strings.Contains(ex.Input, "1AJbsFZ64EpEfS5UAjAfcUG8pH8Jn3r") {
		t.Fatalf("cut-off example %v", ex)
	}
	if rep.Notes[ReasonChainMismatch] != 1 || !strings.Contains(rep.NoteExamples[ReasonChainMismatch][0].Detail, "filed under XBT") {
		t.Fatalf("notes %v %v", rep.Notes, rep.NoteExamples)
	}
}

// TestCSVHostColumnIsTheIndicator: a phishing CSV with url and domain
// columns blocks each row's host; the URL stays as the evidence.
func TestCSVHostColumnIsTheIndicator(t *testing.T) {
	in := "url,domain,category\n" +
		"https://login.evil-bank.com/secure/verify,login.evil-bank.com,phishing\n" +
		"https://scam.example.org/,scam.example.org,phishing\n" +
		"https://sites.google.com/view/x,other.com,phishing\n"
	var got []string
	rep, err := Parse(FormatCSV, strings.NewReader(in), Options{}, func(e lists.Entry) { got = append(got, e.Kind.String()+":"+e.Value) })
	if err != nil {
		t.Fatal(err)
	}
	want := "domain:login.evil-bank.com url:login.evil-bank.com/secure/verify domain:scam.example.org url:sites.google.com/view/x"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	if rep.Notes[ReasonHostMismatch] != 1 {
		t.Fatalf("notes %v", rep.Notes)
	}
}
