package parse

import (
	"testing"

	"github.com/scamblock/scamblock/lists"
)

// RPZPolicy applies the zone-file rules to records that come without a
// file (a zone transfer: rpz/follow).
func TestRPZPolicyPerRecord(t *testing.T) {
	tests := []struct {
		name   string
		rec    RPZRecord
		want   *lists.Entry
		reason lists.Reason
	}{
		{"nxdomain at the name", RPZRecord{Name: "evil.com", Type: "CNAME", Data: []string{"."}},
			&lists.Entry{Value: "evil.com", Kind: lists.KindDomain, Exact: true}, ""},
		{"nxdomain below", RPZRecord{Name: "evil.com", Wildcard: true, Type: "CNAME", Data: []string{"."}},
			&lists.Entry{Value: "evil.com", Kind: lists.KindDomain}, ""},
		{"passthru", RPZRecord{Name: "good.com", Wildcard: true, Type: "CNAME", Data: []string{"rpz-passthru."}},
			&lists.Entry{Value: "good.com", Kind: lists.KindDomain, Action: lists.Allow}, ""},
		{"local data", RPZRecord{Name: "garden.com", Type: "A", Data: []string{"192.0.2.1"}},
			&lists.Entry{Value: "garden.com", Kind: lists.KindDomain, Exact: true}, ""},
		{"SOA and NS are no policy", RPZRecord{Name: "", Type: "NS", Data: []string{"ns."}}, nil, ""},
		{"apex", RPZRecord{Name: "", Type: "CNAME", Data: []string{"."}}, nil, ReasonUnsupported},
		{"every name", RPZRecord{Name: "", Wildcard: true, Type: "CNAME", Data: []string{"."}}, nil, ReasonUnsupported},
		{"tcp-only", RPZRecord{Name: "x.com", Type: "CNAME", Data: []string{"rpz-tcp-only."}}, nil, ReasonUnsupported},
		{"IP trigger", RPZRecord{Name: "32.1.2.0.192.rpz-ip", Type: "CNAME", Data: []string{"."}}, nil, ReasonUnsupported},
		{"TXT", RPZRecord{Name: "x.com", Type: "TXT", Data: []string{`"a"`}}, nil, ReasonUnsupported},
		{"escaped owner", RPZRecord{Name: `a\.b.com`, Type: "CNAME", Data: []string{"."}}, nil, ReasonUnsupported},
		{"CNAME without target", RPZRecord{Name: "x.com", Type: "CNAME"}, nil, ReasonSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep Report
			var got []lists.Entry
			RPZPolicy(tt.rec, Options{}, &rep, func(e lists.Entry) { got = append(got, e) })
			switch {
			case tt.want == nil && len(got) != 0:
				t.Errorf("entries %+v, want none", got)
			case tt.want != nil && (len(got) != 1 || got[0].Value != tt.want.Value || got[0].Kind != tt.want.Kind ||
				got[0].Action != tt.want.Action || got[0].Exact != tt.want.Exact):
				t.Errorf("entries %+v, want %+v", got, *tt.want)
			}
			if tt.reason != "" && rep.Rejected[tt.reason] != 1 {
				t.Errorf("rejects %v, want one %s", rep.Rejected, tt.reason)
			}
			if tt.reason == "" && rep.TotalRejected() != 0 {
				t.Errorf("rejects %v, want none", rep.Rejected)
			}
			for _, ex := range rep.Examples[tt.reason] {
				if ex.Input == "" {
					t.Errorf("reject example without the record: %+v", ex)
				}
			}
		})
	}
}
