package runstore

import (
	"fmt"
	"os"
	"strings"
)

// CheckPath refuses a run store location that is not a file path: empty, an
// SQLite special name such as :memory:, a NUL byte, or a folder. Everything
// else is a path, taken literally: ?, # and %20 are characters of its name.
func CheckPath(path string) error {
	switch {
	case strings.TrimSpace(path) == "":
		return fmt.Errorf("run store path %q: expected a file path such as %s", path, DefaultPath)
	case strings.HasPrefix(path, ":"):
		return fmt.Errorf("run store path %q: SQLite names such as :memory: keep no history; expected a file path such as %s", path, DefaultPath)
	case strings.ContainsRune(path, 0):
		return fmt.Errorf("run store path %q: a path cannot hold a NUL byte", path)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("run store path %q is a folder: expected a file path such as %s", path, DefaultPath)
	}
	return nil
}

// SQLiteURI is the SQLite "file:" URI of a file path, taken literally (see
// uriPath); parameters follow a "?".
func SQLiteURI(path string) string { return "file:" + uriPath(path) }

// uriPath escapes a file path for an SQLite "file:" URI, so that ?, # and %
// stay part of the name instead of starting parameters, a fragment or an
// escape, and a leading // is not read as an authority.
func uriPath(path string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	p := r.Replace(path)
	if strings.HasPrefix(p, "//") {
		p = "/" + strings.TrimLeft(p, "/")
	}
	return p
}
