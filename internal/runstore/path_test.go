package runstore_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/runstore"
)

// TestStorePathIsAPath: ?, #, %20 and a leading // are characters of the file
// name, and the history lands in exactly that file; what cannot be a file path
// is refused with an error naming it (issue 16, item 12).
func TestStorePathIsAPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	names := []string{"a?b.db", "a#b.db", "a%20b.db", "100%.db", "x?mode=memory", "q?_pragma=query_only(1)"}
	for _, name := range names {
		path := filepath.Join(dir, name)
		s, err := runstore.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := s.StartRun(ctx, runstore.Run{ID: "r1", Kind: "assets", Name: "assets", Env: "local", Start: time.Now()}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s.Close()
		if st, err := os.Stat(path); err != nil || st.Size() == 0 {
			t.Errorf("%s: history not in that file (%v)", name, err)
		}
		s, err = runstore.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if runs, err := s.Runs(ctx, 5); err != nil || len(runs) != 1 {
			t.Errorf("%s: reopened, %d runs (%v)", name, len(runs), err)
		}
		s.Close()
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		// -wal and -shm are SQLite's; .end-r1 is the space reserved to record
		// the end of run r1, which these runs never finish.
		name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(e.Name(), "-wal"), "-shm"), ".end-r1")
		if !slices.Contains(names, name) {
			t.Errorf("a stray file %q", e.Name())
		}
	}
	// A leading // is a path, not a URI authority.
	if s, err := runstore.OpenSQLite(ctx, "/"+filepath.Join(dir, "slashes.db")); err != nil {
		t.Errorf("//path: %v", err)
	} else {
		s.Close()
	}
	for _, bad := range []string{":memory:", "", "  ", ":x", dir, "a\x00b"} {
		_, err := runstore.OpenSQLite(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), "run store path") {
			t.Errorf("%q: %v, want a refusal naming it", bad, err)
		}
	}
}
