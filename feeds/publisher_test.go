package feeds

import "testing"

func TestPublisher(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"a GitHub raw file is its repository", "https://raw.githubusercontent.com/scamsniffer/scam-database/main/blacklist/domains.json", "github.com/scamsniffer/scam-database"},
		{"another file of the same repository is the same voice", "https://raw.githubusercontent.com/ScamSniffer/scam-database/main/blacklist/address.json", "github.com/scamsniffer/scam-database"},
		{"a GitHub Pages site is its owner", "https://blocklistproject.github.io/Lists/scam.txt", "github.com/blocklistproject"},
		{"another URL is its host", "https://www.treasury.gov/ofac/downloads/sdn.csv", "www.treasury.gov"},
		{"a local file is its own voice", "/srv/lists/mine.txt", "/srv/lists/mine.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Feed{URL: tt.url}).Publisher(); got != tt.want {
				t.Fatalf("Publisher(%s) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}
