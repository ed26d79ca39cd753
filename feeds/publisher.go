package feeds

import (
	"net/url"
	"strings"
)

// Publisher names who stands behind the feed, for the consensus that
// blocks a ranked name whole (lists.SourceOptions.Publisher): feeds of one
// publisher are one voice. A GitHub-hosted feed's publisher is its
// repository ("github.com/scamsniffer/scam-database": its domains,
// addresses and combined files are one voice), a GitHub Pages site's its
// owner, another URL's its host, and a local file is its own publisher.
func (f Feed) Publisher() string {
	if !f.IsRemote() {
		return f.DisplayName()
	}
	u, err := url.Parse(f.URL)
	if err != nil || u.Host == "" {
		return f.DisplayName()
	}
	host := strings.ToLower(u.Hostname())
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case host == "raw.githubusercontent.com" || host == "github.com" || host == "media.githubusercontent.com":
		if len(parts) >= 2 {
			return "github.com/" + strings.ToLower(parts[0]+"/"+parts[1])
		}
	case strings.HasSuffix(host, ".github.io"):
		return "github.com/" + strings.TrimSuffix(host, ".github.io")
	}
	return host
}
