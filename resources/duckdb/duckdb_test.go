package duckdb_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

func open(t *testing.T, dir string, readOnly ...string) *duckdb.Warehouse {
	t.Helper()
	w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: dir, ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestSuite(t *testing.T) {
	warehousetest.Run(t, func(t *testing.T) warehouse.Warehouse { return open(t, t.TempDir()) })
}

var items = warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}

func TestFailedSwapKeepsPreviousTable(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	defer w.Close()
	ctx := context.Background()
	first := warehousetest.Sample(1, 40)
	defer first.Release()
	if err := w.WriteTable(ctx, items, first); err != nil {
		t.Fatal(err)
	}
	w.SetBeforeSwap(func() error { return errors.New("injected failure") })
	second := warehousetest.Sample(100, 3)
	defer second.Release()
	if err := w.WriteTable(ctx, items, second); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("write: %v", err)
	}
	got, err := w.ReadTable(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	warehousetest.Equal(t, got, first)
	// No staging table is left behind.
	var n int
	if err := w.DB().QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_af_staging_%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d staging tables left (%v)", n, err)
	}
}

func TestEachDatabaseIsOneFileInTheFolder(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	ctx := context.Background()
	tbl := warehousetest.Sample(1, 10)
	defer tbl.Release()
	if err := w.WriteTable(ctx, items, tbl); err != nil {
		t.Fatal(err)
	}
	info, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_7")
	if err != nil {
		t.Fatal(err)
	}
	if info.Method != "reflink" && info.Method != "copy" || info.Bytes <= 0 {
		t.Errorf("clone info %+v", info)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") { // lock files
			names = append(names, e.Name())
		}
	}
	if strings.Join(names, " ") != "PRODUCTION.duckdb PRODUCTION_CLONE_7.clone.json PRODUCTION_CLONE_7.duckdb" {
		t.Errorf("folder holds %v", names)
	}
	note, err := os.ReadFile(filepath.Join(dir, "PRODUCTION_CLONE_7.clone.json"))
	if err != nil || !strings.Contains(string(note), `"origin":"PRODUCTION"`) {
		t.Errorf("clone note %s (%v)", note, err)
	}
	// The clone is byte-for-byte the source at the time of cloning.
	if sum(t, filepath.Join(dir, "PRODUCTION.duckdb")) != sum(t, filepath.Join(dir, "PRODUCTION_CLONE_7.duckdb")) {
		t.Error("clone file differs from its source")
	}
}

func TestReadOnlyDatabaseRefusesWrites(t *testing.T) {
	dir := t.TempDir()
	w := open(t, dir)
	tbl := warehousetest.Sample(1, 4)
	defer tbl.Release()
	if err := w.WriteTable(context.Background(), items, tbl); err != nil {
		t.Fatal(err)
	}
	w.Close()
	before := sum(t, filepath.Join(dir, "PRODUCTION.duckdb"))

	ro := open(t, dir, "PRODUCTION")
	defer ro.Close()
	ctx := context.Background()
	if err := ro.WriteTable(ctx, items, tbl); err == nil {
		t.Error("write to a read-only database succeeded")
	}
	if err := ro.Exec(ctx, `CREATE TABLE "PRODUCTION"."HACKER_NEWS"."X" (a INT)`); err == nil {
		t.Error("raw statement wrote to a read-only database")
	}
	if err := ro.DropDatabase(ctx, "PRODUCTION"); err == nil {
		t.Error("drop of a read-only database succeeded")
	}
	if _, err := ro.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_1"); err != nil {
		t.Errorf("cloning from a read-only database: %v", err)
	}
	ro.Close()
	if sum(t, filepath.Join(dir, "PRODUCTION.duckdb")) != before {
		t.Error("read-only database file changed")
	}
}

func TestDatabaseNameCannotEscapeFolder(t *testing.T) {
	w := open(t, t.TempDir())
	defer w.Close()
	for _, name := range []string{"../x", "/etc/passwd", "a/b", `..\x`} {
		if _, err := w.Path(name); err == nil {
			t.Errorf("path for %q accepted", name)
		}
	}
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// A write large enough to be appended in parallel parts keeps the rows' order.
func TestLargeWriteKeepsRowOrder(t *testing.T) {
	w := open(t, t.TempDir())
	defer w.Close()
	ctx := context.Background()
	tbl := warehousetest.Items(300_000)
	defer tbl.Release()
	if err := w.WriteTable(ctx, items, tbl); err != nil {
		t.Fatal(err)
	}
	got, err := w.ReadTable(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	warehousetest.Equal(t, got, tbl)
}
