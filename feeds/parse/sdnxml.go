package parse

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// OFAC's two XML renderings of the SDN list carry each wallet as a
// "feature" of its party whose type is "Digital Currency Address - ASSET".
// The structure read here is the documented one:
//
//   - sdn_advanced.xml (root <Sanctions>, namespace
//     https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML,
//     older files http://www.un.org/sanctions/1.0): OFAC, "Specially
//     Designated Nationals (SDN) Advanced Sanctions Data Model XML
//     Explanatory Notes" (sdn_advanced_notes.pdf) and its XSD. The feature
//     types are declared first in ReferenceValueSets/FeatureTypeValues/
//     FeatureType ID="344" ("Digital Currency Address - XBT"); a party is
//     DistinctParty/Profile ID=… with Identity/Alias Primary="true"/
//     DocumentedName/DocumentedNamePart/NamePartValue (its name) and
//     Feature FeatureTypeID=…/FeatureVersion/VersionDetail (the address);
//     the programs come later, in SanctionsEntries/SanctionsEntry
//     ProfileID=…/SanctionsMeasure/Comment ("CYBER2"). Extractors that
//     follow the same path: 0xB10C/ofac-sanctioned-digital-currency-addresses
//     (generate-address-list.py, src/lib.rs).
//   - SDN_ENHANCED.xml (root <sanctionsData>, namespace
//     …/exports/ENHANCED_XML): its XSD, as generated into Go types by
//     moov-io/watchman (pkg/csl_us/gen/ENHANCED_XML/models.go): entities/
//     entity id=… with sanctionsPrograms/sanctionsProgram, names/name
//     (isPrimary, translations/translation/formattedFullName) and
//     features/feature (type featureTypeId=… with the type's text, value).
//
// Every address goes through sdnAddress, as in sdn.csv: provenance
// "OFAC SDN <id>: <name> [<programs>] (<asset>)", Category sanctioned, an
// address filed under the wrong asset listed under its own chain with a
// chain-mismatch note, a transaction hash rejected.

const sdnFeaturePrefix = "Digital Currency Address - "

// sdnAsset returns the asset code of a feature type's text, or "".
func sdnAsset(featureType string) string {
	a, ok := strings.CutPrefix(strings.TrimSpace(featureType), sdnFeaturePrefix)
	if !ok {
		return ""
	}
	return strings.TrimSpace(a)
}

// sdnParty is one listed party with digital currency addresses.
type sdnParty struct {
	id, name string
	nameSet  bool // the primary name has been read
	programs []string
}

func (s *sdnParty) entity() sdnEntity {
	name := s.name
	if name == "" {
		name = "(no primary name)"
	}
	return sdnEntity{id: s.id, name: name, program: strings.Join(s.programs, ", ")}
}

func (s *sdnParty) addProgram(prog string) {
	for _, have := range s.programs {
		if have == prog {
			return
		}
	}
	s.programs = append(s.programs, prog)
}

// sdnFeature is a digital currency feature being read.
type sdnFeature struct {
	party        *sdnParty
	asset, value string
	typeID       string
	line         int // of the address (VersionDetail, value) or the feature
}

// emit hands one feature's address to sdnAddress, or reports why not.
func (p *parser) sdnFeature(f *sdnFeature) {
	switch {
	case f.asset == "":
		return // not a digital currency feature
	case f.value == "":
		p.rep.Reject(f.line, sdnFeaturePrefix+f.asset, ReasonSyntax, "a digital currency feature without an address")
	case strings.HasSuffix(f.value, "…"):
		p.rep.Reject(f.line, f.value, ReasonNotAddress, fmt.Sprintf("longer than %d bytes", maxXMLText))
	default:
		p.sdnAddress(f.line, f.party.entity(), f.asset, f.value)
	}
}

// sdnAdvanced reads sdn_advanced.xml. The programs of a party follow all
// the parties, so the addresses (about a thousand in the real file, not
// the file) are held until the end and emitted in file order.
func (p *parser) sdnAdvanced(r io.Reader) error {
	var (
		types   = map[string]string{} // FeatureTypeID → asset, digital currency types only
		typeID  string                // the FeatureType being read
		parties = map[string]*sdnParty{}
		party   *sdnParty
		primary bool // inside the primary Alias
		parts   []string
		feature *sdnFeature
		pending []*sdnFeature
		entry   *sdnParty // the party of the SanctionsEntry being read
	)
	w := newXMLWalker(r)
	w.start = func(w *xmlWalker, el xml.StartElement) {
		switch el.Name.Local {
		case "FeatureType":
			typeID = attr(el, "ID")
		case "DistinctParty":
			party = &sdnParty{id: attr(el, "FixedRef")}
		case "Profile":
			if party != nil && attr(el, "ID") != "" {
				party.id = attr(el, "ID")
			}
		case "Alias":
			primary = party != nil && !party.nameSet && attr(el, "Primary") == "true"
		case "DocumentedName":
			parts = parts[:0]
		case "Feature":
			if party != nil {
				feature = &sdnFeature{party: party, typeID: attr(el, "FeatureTypeID"), line: w.line()}
				feature.asset = types[feature.typeID]
			}
		case "VersionDetail":
			if feature != nil && feature.value == "" {
				feature.line = w.line()
			}
		case "SanctionsEntry":
			entry = parties[attr(el, "ProfileID")]
		}
	}
	w.end = func(w *xmlWalker, name, text string) {
		switch {
		case name == "FeatureType" && w.parent(1) == "FeatureTypeValues":
			if a := sdnAsset(text); a != "" && typeID != "" {
				types[typeID] = a
			}
		case name == "NamePartValue" && primary && text != "":
			parts = append(parts, text)
		case name == "DocumentedName" && primary && !party.nameSet && len(parts) > 0:
			party.name, party.nameSet = strings.Join(parts, " "), true
		case name == "Alias":
			primary = false
		case name == "VersionDetail" && feature != nil && feature.value == "":
			feature.value = text
		case name == "Feature" && feature != nil:
			if feature.asset != "" {
				pending = append(pending, feature)
				parties[feature.party.id] = feature.party
			}
			feature = nil
		case name == "DistinctParty":
			party = nil
		case name == "Comment" && entry != nil && w.parent(1) == "SanctionsMeasure" && text != "":
			entry.addProgram(text)
		case name == "SanctionsEntry":
			entry = nil
		}
	}
	err := w.run("Sanctions")
	p.rep.Lines = w.lines()
	if err != nil {
		return err
	}
	for _, f := range pending {
		p.sdnFeature(f)
	}
	return nil
}

// sdnEnhanced reads SDN_ENHANCED.xml. An entity carries its own programs
// and names, so its addresses are emitted when it ends.
func (p *parser) sdnEnhanced(r io.Reader) error {
	var (
		types   = map[string]string{} // featureTypeId → asset, from featureTypes
		typeID  string
		party   *sdnParty
		feature *sdnFeature
		pending []*sdnFeature
		// the name and translation being read
		namePrimary, trPrimary bool
		fullName               string
		parts                  []string
	)
	w := newXMLWalker(r)
	w.start = func(w *xmlWalker, el xml.StartElement) {
		switch {
		case el.Name.Local == "featureType":
			typeID = attr(el, "featureTypeId")
		case el.Name.Local == "entity":
			party, pending = &sdnParty{id: attr(el, "id")}, pending[:0]
		case el.Name.Local == "name" && w.parent(1) == "names":
			namePrimary = false
		case el.Name.Local == "translation" && w.within("names"):
			trPrimary, fullName, parts = false, "", parts[:0]
		case el.Name.Local == "feature" && party != nil:
			feature = &sdnFeature{party: party, line: w.line()}
		case el.Name.Local == "type" && feature != nil && w.parent(1) == "feature":
			feature.typeID = attr(el, "featureTypeId")
		case el.Name.Local == "value" && feature != nil && w.parent(1) == "feature":
			feature.line = w.line()
		}
	}
	w.end = func(w *xmlWalker, name, text string) {
		parent := w.parent(1)
		switch {
		case name == "type" && parent == "featureType" && typeID != "":
			if a := sdnAsset(text); a != "" {
				types[typeID] = a
			}
		case party == nil:
		case name == "sanctionsProgram" && text != "":
			party.addProgram(text)
		case name == "isPrimary" && parent == "name":
			namePrimary = text == "true"
		case name == "isPrimary" && parent == "translation":
			trPrimary = text == "true"
		case name == "formattedFullName":
			fullName = text
		case name == "value" && parent == "namePart" && text != "":
			parts = append(parts, text)
		case name == "translation" && namePrimary && (trPrimary || !party.nameSet):
			if fullName == "" {
				fullName = strings.Join(parts, " ")
			}
			if fullName != "" {
				party.name, party.nameSet = fullName, trPrimary
			}
		case feature == nil:
		case name == "type" && parent == "feature":
			if feature.asset = sdnAsset(text); feature.asset == "" && text == "" {
				feature.asset = types[feature.typeID]
			}
		case name == "value" && parent == "feature":
			feature.value = text
		case name == "feature":
			if feature.asset != "" {
				pending = append(pending, feature)
			}
			feature = nil
		}
		if name == "entity" && party != nil {
			for _, f := range pending {
				p.sdnFeature(f)
			}
			party = nil
		}
	}
	err := w.run("sanctionsData")
	p.rep.Lines = w.lines()
	return err
}
