package feeds

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// expandDirectory turns a feed whose path is a directory into one feed per
// file under it (recursively, sorted, hidden files and folders skipped),
// each named by its path, so that a folder of lists is loaded the way
// people keep them. Other feeds come back as they are.
func expandDirectory(f Feed) ([]Feed, error) {
	p, err := f.localPath()
	if err != nil {
		return []Feed{f}, nil // not a local file: nothing to expand
	}
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() {
		return []Feed{f}, nil // a missing file is reported when it is read
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != p {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("feed %q: reading the directory %s: %w", f.DisplayName(), p, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("feed %q: the directory %s holds no feed file", f.DisplayName(), p)
	}
	slices.Sort(files)
	out := make([]Feed, 0, len(files))
	for _, file := range files {
		g := f
		g.URL = file
		g.Name = file
		if f.Name != "" && f.Name != f.URL {
			rel, _ := filepath.Rel(p, file)
			g.Name = f.Name + "/" + filepath.ToSlash(rel)
		}
		out = append(out, g)
	}
	return out, nil
}
