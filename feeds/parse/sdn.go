package parse

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/scamblock/scamblock/lists"
	"github.com/scamblock/scamblock/wallet"
)

// Reasons the OFAC SDN parser adds.
const (
	// ReasonCutOff: the remarks column reached OFAC's 1,000-character limit
	// inside a "Digital Currency Address" fragment. The address may be
	// incomplete, so it is reported, never guessed.
	ReasonCutOff lists.Reason = "cut-off"
	// ReasonTxHash: a transaction hash filed as an address.
	ReasonTxHash lists.Reason = wallet.ReasonTxHash
)

// sdnRemarksLimit is the length at which OFAC's sdn.csv cuts the remarks
// column (the full text is in the XML files).
const sdnRemarksLimit = 1000

// sdnColumns is the column count of sdn.csv (no header row): ent_num,
// SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT,
// Vess_flag, Vess_owner, Remarks. "-0- " stands for an empty field.
const sdnColumns = 12

const sdnAddressMark = "Digital Currency Address - "

// sdnCSV parses OFAC's sdn.csv: the wallets are in the remarks column as
// "Digital Currency Address - XBT 1ABC...;" fragments.
func (p *parser) sdnCSV(r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		p.rep.Lines = line
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				p.rep.Reject(pe.StartLine, "", ReasonSyntax, pe.Err.Error())
				continue
			}
			return err
		}
		if len(rec) == 1 && strings.Trim(rec[0], "\x1a \t\r\n") == "" {
			continue // the DOS end-of-file byte (0x1a) OFAC's file ends with
		}
		if len(rec) != sdnColumns {
			p.rep.Reject(line, strings.Join(rec, ","), ReasonSyntax, fmt.Sprintf("%d columns, sdn.csv has %d", len(rec), sdnColumns))
			continue
		}
		p.sdnRemarks(line, sdnEntity{id: rec[0], name: sdnField(rec[1]), program: sdnField(rec[3])}, sdnField(rec[11]))
	}
	return nil
}

type sdnEntity struct{ id, name, program string }

func (e sdnEntity) label(asset string) string {
	return fmt.Sprintf("OFAC SDN %s: %s [%s] (%s)", e.id, e.name, e.program, asset)
}

func sdnField(s string) string {
	s = strings.TrimSpace(s)
	if s == "-0-" {
		return ""
	}
	return s
}

// sdnRemarks emits every digital currency address of one entity's remarks.
func (p *parser) sdnRemarks(line int, ent sdnEntity, remarks string) {
	cut := len(remarks) >= sdnRemarksLimit-1
	frags := strings.Split(remarks, ";")
	for i, frag := range frags {
		j := strings.Index(frag, sdnAddressMark)
		if j < 0 {
			continue
		}
		last := i == len(frags)-1
		rest := strings.TrimSpace(frag[j+len(sdnAddressMark):])
		if last && cut && !strings.HasSuffix(rest, ".") {
			p.rep.Reject(line, strings.TrimSpace(frag), ReasonCutOff, "the remarks column ends at OFAC's 1,000-character limit inside this address; see sdn_advanced.xml for the full text")
			continue
		}
		rest = strings.TrimSuffix(rest, ".") // the last sentence ends in a full stop
		asset, addr, ok := strings.Cut(rest, " ")
		addr = strings.TrimSpace(addr)
		if !ok || addr == "" || strings.ContainsAny(addr, " \t") {
			p.rep.Reject(line, strings.TrimSpace(frag), ReasonNotAddress, "expected \"Digital Currency Address - ASSET ADDRESS\"")
			continue
		}
		p.sdnAddress(line, ent, asset, addr)
	}
}

// sdnAddress emits one sanctioned address under its asset's chain. An
// address OFAC filed under the wrong asset (a TRON address under XBT) is
// still sanctioned: it is emitted under the chain its shape says, and the
// mismatch is reported. A transaction hash filed as an address is rejected.
func (p *parser) sdnAddress(line int, ent sdnEntity, asset, addr string) {
	chain := ofacChain(asset)
	base := lists.Entry{Category: "sanctioned", Links: []string{ent.label(asset)}}
	_, err := wallet.ParseHint(chain, addr)
	switch lists.ReasonOf(err) {
	case "":
	case wallet.ReasonWrongChain:
		if a, err2 := wallet.Parse(addr); err2 == nil {
			p.rep.Note(line, addr, ReasonChainMismatch, fmt.Sprintf("filed under %s, but it is a %s address: listed under %s", asset, a.Chain, a.Chain))
			chain = ""
		}
	case wallet.ReasonTxHash:
		p.rep.Reject(line, addr, ReasonTxHash, fmt.Sprintf("filed under %s as an address for %s, but it is a transaction hash", asset, ent.name))
		return
	}
	p.address(line, addr, chain, base.Links, base)
}

// ReasonChainMismatch notes an address a list filed under another chain.
const ReasonChainMismatch lists.Reason = "chain-mismatch"

// ofacChain maps an OFAC asset code to the chain hint: "XBT" → "btc",
// others lower-cased.
func ofacChain(asset string) string {
	a := strings.ToLower(strings.TrimSpace(asset))
	if c, ok := ofacChains[a]; ok {
		return c
	}
	return a
}
