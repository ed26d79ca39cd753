package api

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes walks the routes registered in routes() and
// the served document: each route is described, each described operation
// is routed (not the catch-all 404).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	src, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, nil)
	code, body, _ := f.do("GET", "/v1/openapi.json", "", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/openapi.json: %d", code)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("document: %v, openapi %q", err, doc.OpenAPI)
	}
	routes := regexp.MustCompile(`mux\.Handle\("([A-Z]+) ([^"]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(routes) < 20 {
		t.Fatalf("found %d routes in api.go; the pattern is out of date", len(routes))
	}
	described := 0
	for _, r := range routes {
		method, path := strings.ToLower(r[1]), strings.ReplaceAll(r[2], "...}", "}")
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("route %s %s is not in openapi.json", r[1], r[2])
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			described++
			concrete := regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(path, "1")
			code, body, _ := f.do(strings.ToUpper(method), concrete, "", nil)
			if code == http.StatusNotFound && strings.Contains(string(body), "no such endpoint") {
				t.Errorf("openapi.json describes %s %s, which no route serves", strings.ToUpper(method), path)
			}
		}
	}
	if described != len(routes) {
		t.Errorf("%d operations described, %d routes registered", described, len(routes))
	}
}
