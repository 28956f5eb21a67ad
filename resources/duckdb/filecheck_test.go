package duckdb_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// TestLinkedCloneFileRefused: a PRODUCTION_CLONE_43.duckdb that is a symbolic
// or hard link to PRODUCTION's file is refused, branch or not, and production
// stays byte for byte.
func TestLinkedCloneFileRefused(t *testing.T) {
	links := map[string]struct {
		link  func(old, new string) error
		found string
	}{
		"symlink":   {os.Symlink, "a symbolic link to"},
		"hard link": {os.Link, "a hard link (2 names share that file)"},
	}
	for name, l := range links {
		for _, confined := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s confined=%v", name, confined), func(t *testing.T) {
				dir := t.TempDir()
				ctx := context.Background()
				w := open(t, dir)
				rows := warehousetest.Sample(1, 10)
				defer rows.Release()
				if err := w.WriteTable(ctx, items, rows); err != nil {
					t.Fatal(err)
				}
				w.Close()
				prodFile := filepath.Join(dir, "PRODUCTION.duckdb")
				before := fileSum(t, prodFile)
				cloneFile := filepath.Join(dir, "PRODUCTION_CLONE_43.duckdb")
				if err := l.link(prodFile, cloneFile); err != nil {
					t.Fatal(err)
				}
				cfg := duckdb.Config{Dir: dir}
				if confined {
					cfg.ReadOnly, cfg.Writable = []string{"PRODUCTION"}, []string{"PRODUCTION_CLONE_43"}
				}
				b, err := duckdb.Open(ctx, cfg)
				var le *duckdb.LinkedFileError
				if confined { // a branch connection refuses to open at all: COPY ... TO the clone's path would write through it
					if !errors.As(err, &le) || !strings.Contains(err.Error(), l.found) {
						t.Fatalf("open: %v, want a LinkedFileError saying %q", err, l.found)
					}
					if fileSum(t, prodFile) != before {
						t.Fatal("PRODUCTION's file changed")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				g := warehouse.Guard(b, "PRODUCTION")
				clone := warehouse.TableRef{Database: "PRODUCTION_CLONE_43", Schema: "HACKER_NEWS", Table: "ITEMS"}
				err = g.WriteTable(ctx, clone, rows)
				if !errors.As(err, &le) || !strings.Contains(err.Error(), l.found) || !strings.Contains(err.Error(), "PRODUCTION_CLONE_43") {
					t.Fatalf("write through a %s: %v, want a LinkedFileError saying %q", name, err, l.found)
				}
				b.Close()
				if fileSum(t, prodFile) != before {
					t.Fatal("PRODUCTION's file changed")
				}
			})
		}
	}
}

// TestLinkedWALRefused: a write-ahead log beside a branch's clone that is a link
// to production's file is refused when the branch connection opens: COPY ... TO
// that allowed path would otherwise write through it.
func TestLinkedWALRefused(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	rows := warehousetest.Sample(1, 3)
	defer rows.Release()
	if err := w.WriteTable(context.Background(), items, rows); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.Symlink(filepath.Join(dir, "PRODUCTION.duckdb"), filepath.Join(dir, "PRODUCTION_CLONE_42.duckdb.wal")); err != nil {
		t.Fatal(err)
	}
	_, err := duckdb.Open(context.Background(), duckdb.Config{Dir: dir, ReadOnly: []string{"PRODUCTION"}, Writable: []string{"PRODUCTION_CLONE_42"}})
	var le *duckdb.LinkedFileError
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "PRODUCTION_CLONE_42.duckdb.wal") {
		t.Fatalf("open: %v, want a LinkedFileError naming the log", err)
	}
}
