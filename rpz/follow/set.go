package follow

import (
	"github.com/scamblock/scamblock/feeds/parse"
	"github.com/scamblock/scamblock/lists"
)

// toSet turns the zone's policy records into the entries of one Set, by
// the rules scamblock applies to RPZ files (parse.RPZPolicy): CNAME . (and
// *., rpz-drop., local data) blocks, rpz-passthru. allows, *.name is the
// subtree, the rest is counted in the Report by reason.
//
// Per owner name the Set must decide the name as its exact record does and
// the names below as its wildcard does:
//   - the same action at name and *.name is one subtree entry;
//   - passthru at name and a block at *.name are both kept (the matcher
//     lets the exact allow win at name, the subtree block below it);
//   - a block at name and passthru at *.name keep the block only: an entry
//     cannot say "allow below but not at the name", and in a zone that
//     scamblock serves that wildcard repeats an allow from a parent name,
//     which decides the names below the same way.
func (z *zone) toSet(source string, opts parse.Options) (*lists.Set, parse.Report) {
	rep := parse.Report{Format: parse.FormatRPZ}
	b := lists.NewSetBuilder(source)
	var got []lists.Entry
	collect := func(e lists.Entry) { got = append(got, e) }
	for _, n := range z.nodes {
		got = got[:0]
		z.refs(n, func(wild bool, ref uint32) {
			rd := &z.rd[ref-1]
			rep.Lines++
			parse.RPZPolicy(parse.RPZRecord{Name: n.name, Wildcard: wild, Type: rd.typ, Data: rd.fields}, opts, &rep, collect)
		})
		addNode(b, got)
	}
	return b.Build(), rep
}

// addNode adds one owner name's entries to b as toSet describes.
func addNode(b *lists.SetBuilder, got []lists.Entry) {
	if len(got) == 1 {
		b.Add(got[0])
		return
	}
	var exact, sub [2]bool // by action: Block, Allow
	for _, e := range got {
		if e.Kind != lists.KindDomain {
			continue
		}
		if e.Exact {
			exact[e.Action] = true
		} else {
			sub[e.Action] = true
		}
	}
	var added [2][2]bool // [exact][action]
	for _, e := range got {
		if e.Kind == lists.KindDomain {
			x := 0
			if e.Exact {
				x = 1
			}
			switch {
			case added[x][e.Action]:
				continue // a second record with the same effect (A and AAAA)
			case e.Exact && sub[e.Action]:
				continue // the subtree entry covers the name
			case !e.Exact && e.Action == lists.Allow && exact[lists.Block] && !exact[lists.Allow]:
				continue
			}
			added[x][e.Action] = true
		}
		b.Add(e)
	}
}
