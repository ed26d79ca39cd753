package rpz

import "strings"

// delta is the difference between two consecutive snapshots, as IXFR
// (RFC 1995) sends it: the records deleted from the older one and the
// records added by the newer one. Both lists are sorted and share
// the names with the snapshots.
type delta struct {
	from, to uint32
	del, add []node
	records  int // records in del and add
}

// diffZones computes the delta from old to cur by merging their nodes.
func diffZones(old, cur *Zone) *delta {
	d := &delta{from: old.serial, to: cur.serial}
	a, b := old.nodes, cur.nodes
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c int
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = strings.Compare(a[i].name, b[j].name)
		}
		switch {
		case c < 0:
			d.del = append(d.del, a[i])
			d.records += a[i].records()
			i++
		case c > 0:
			d.add = append(d.add, b[j])
			d.records += b[j].records()
			j++
		default:
			del, add := changed(a[i].flags, b[j].flags, hasExact|exactAllow)
			wd, wa := changed(a[i].flags, b[j].flags, hasWild|wildAllow)
			del |= wd
			add |= wa
			if del != 0 {
				d.del = append(d.del, node{a[i].name, del})
				d.records += node{flags: del}.records()
			}
			if add != 0 {
				d.add = append(d.add, node{b[j].name, add})
				d.records += node{flags: add}.records()
			}
			i++
			j++
		}
	}
	return d
}

// changed compares one record (selected by mask) of two nodes: when it
// differs, the old one is deleted and the new one added.
func changed(old, cur, mask uint8) (del, add uint8) {
	o, c := old&mask, cur&mask
	if o == c {
		return 0, 0
	}
	return o, c
}

// journal keeps the most recent deltas, oldest first. It is immutable: an
// update builds a new one.
type journal struct {
	deltas  []*delta
	records int
}

// with returns the journal with d appended, keeping at most keep deltas
// and maxRecords records in all. A delta bigger than the zone it leads to
// is not kept (nor anything before it): a full transfer is cheaper.
func (j journal) with(d *delta, zoneRecords, keep, maxRecords int) journal {
	if d.records > zoneRecords+2 || d.records > maxRecords || keep <= 0 {
		return journal{}
	}
	out := journal{deltas: make([]*delta, 0, min(len(j.deltas)+1, keep))}
	ds := append(j.deltas[:len(j.deltas):len(j.deltas)], d)
	total := 0
	first := len(ds)
	for k := len(ds) - 1; k >= 0 && len(ds)-k <= keep; k-- {
		if total+ds[k].records > maxRecords {
			break
		}
		total += ds[k].records
		first = k
	}
	out.deltas = append(out.deltas, ds[first:]...)
	out.records = total
	return out
}

// since returns the deltas that lead from serial to the newest snapshot,
// or false when serial is not in the journal.
func (j journal) since(serial uint32) ([]*delta, bool) {
	for k, d := range j.deltas {
		if d.from == serial {
			return j.deltas[k:], true
		}
	}
	return nil, false
}
