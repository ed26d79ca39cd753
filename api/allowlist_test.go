package api

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
)

func TestAllowlistAddListRemove(t *testing.T) {
	var applied atomic.Int32
	f := newFixture(t, func(o *Options) { o.OnAllowChange = func() { applied.Add(1) } })
	code, body, _ := f.do("POST", "/v1/allowlist", "ada", AllowRequest{Name: "Shop.Bakery.COM.", Reason: "our neighbour"})
	if code != http.StatusCreated {
		t.Fatalf("add: %d %s", code, body)
	}
	if code, body, _ = f.do("POST", "/v1/allowlist", "ada", AllowRequest{Name: "shop.bakery.com", Reason: "again"}); code != http.StatusConflict {
		t.Errorf("add twice: %d %s, want 409", code, body)
	}
	if code, body, _ = f.do("POST", "/v1/allowlist", "ada", AllowRequest{Name: "bakery.com"}); code != http.StatusBadRequest || errorOf(t, body).Field != "reason" {
		t.Errorf("no reason: %d %s, want 400 on reason", code, body)
	}
	if code, body, _ = f.do("POST", "/v1/allowlist", "ada", AllowRequest{Name: "not a name", Reason: "x"}); code != http.StatusBadRequest || errorOf(t, body).Field != "name" {
		t.Errorf("bad name: %d %s, want 400 on name", code, body)
	}
	code, body, _ = f.do("GET", "/v1/allowlist", "rita", nil)
	var list AllowlistResponse
	if err := json.Unmarshal(body, &list); err != nil || code != 200 {
		t.Fatalf("list: %d %s", code, body)
	}
	if len(list.Entries) != 1 || list.Entries[0].Name != "shop.bakery.com" || list.Entries[0].Actor != "ada" || list.Entries[0].Reason != "our neighbour" {
		t.Errorf("entries %+v", list.Entries)
	}
	if code, body, _ = f.do("DELETE", "/v1/allowlist/shop.bakery.com", "ada", DecisionRequest{Reason: "sold"}); code != http.StatusOK {
		t.Errorf("remove: %d %s", code, body)
	}
	if code, _, _ = f.do("DELETE", "/v1/allowlist/shop.bakery.com", "ada", nil); code != http.StatusNotFound {
		t.Errorf("remove twice: %d, want 404", code)
	}
	if n := applied.Load(); n != 2 {
		t.Errorf("OnAllowChange called %d times, want 2 (add, remove)", n)
	}
}

func TestAppealFollowCode(t *testing.T) {
	f := newFixture(t, nil)
	code, body, _ := f.do("POST", "/v1/appeals", "", AppealRequest{Indicator: "my-shop.com", Reason: "mine"})
	var filed AppealFiled
	if err := json.Unmarshal(body, &filed); err != nil || code != http.StatusCreated || filed.FollowCode == "" || filed.ID == 0 {
		t.Fatalf("file: %d %s", code, body)
	}
	code, body, _ = f.do("POST", "/v1/appeals/follow", "", FollowRequest{Code: filed.FollowCode})
	if code != http.StatusOK || !json.Valid(body) {
		t.Fatalf("follow: %d %s", code, body)
	}
	var ap struct {
		ID    uint64 `json:"id"`
		State string `json:"state"`
	}
	_ = json.Unmarshal(body, &ap)
	if ap.ID != filed.ID || ap.State != "open" {
		t.Errorf("followed %+v, want appeal %d open", ap, filed.ID)
	}
	if code, _, _ = f.do("POST", "/v1/appeals/follow", "", FollowRequest{Code: "appeal_wrong"}); code != http.StatusNotFound {
		t.Errorf("wrong code: %d, want 404", code)
	}
}
