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

// branchWarehouse makes PRODUCTION with ten rows in dir and opens the folder as
// a branch of PR 42 does: confined, guarded.
func branchWarehouse(t *testing.T, dir string) (warehouse.Warehouse, *duckdb.Warehouse) {
	t.Helper()
	ctx := context.Background()
	w := open(t, dir)
	rows := warehousetest.Sample(1, 10)
	defer rows.Release()
	if err := w.WriteTable(ctx, items, rows); err != nil {
		t.Fatal(err)
	}
	w.Close()
	b, err := duckdb.Open(ctx, duckdb.Config{Dir: dir, ReadOnly: []string{"PRODUCTION"}, Writable: []string{"PRODUCTION_CLONE_42"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return warehouse.Guard(b, "PRODUCTION"), b
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestBranchConnectionCannotReachProduction runs, through the guarded branch
// warehouse's raw Exec, every way found to write production or touch another
// file. Each must fail, and PRODUCTION's file must stay byte for byte.
func TestBranchConnectionCannotReachProduction(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g, b := branchWarehouse(t, dir)
	var tempDir string
	if err := b.DB().QueryRowContext(context.Background(), "SELECT current_setting('temp_directory')").Scan(&tempDir); err != nil || tempDir == "" {
		t.Fatalf("spill folder %q: %v", tempDir, err)
	}
	ctx := context.Background()
	prodFile := filepath.Join(dir, "PRODUCTION.duckdb")
	before := fileSum(t, prodFile)
	secret := filepath.Join(t.TempDir(), "secret.csv")
	if err := os.WriteFile(secret, []byte("a\n1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "OTHER.duckdb")
	if err := os.WriteFile(other+".x", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	lit := func(s string) string { return "'" + s + "'" }
	attacks := [][2]string{
		{"attach by two literals", "ATTACH " + lit(dir+"/PRODUCTIO") + "\n" + lit("N.duckdb") + " AS p"},
		{"attach under another name", "ATTACH " + lit(prodFile) + " AS p"},
		{"attach lowercase alias", "ATTACH " + lit(prodFile) + " AS production_rw"},
		{"attach by a dotted path", "ATTACH " + lit(dir+"/./PRODUCTION.duckdb") + " AS p"},
		{"attach by a .. path", "ATTACH " + lit(dir+"/../"+filepath.Base(dir)+"/PRODUCTION.duckdb") + " AS p"},
		{"attach a new file", "ATTACH " + lit(other) + " AS o"},
		{"create on production", `CREATE OR REPLACE TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS" AS SELECT 1 AS x`},
		{"create on production lowercase", `create or replace table production.hacker_news.items as select 1 as x`},
		{"drop on production", `DROP TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS"`},
		{"read_csv", "CREATE TABLE \"PRODUCTION_CLONE_42\".main.s AS SELECT * FROM read_csv(" + lit(secret) + ")"},
		{"replacement scan", "CREATE TABLE \"PRODUCTION_CLONE_42\".main.s AS SELECT * FROM " + lit(secret)},
		{"read_blob", "SELECT * FROM read_blob(" + lit(secret) + ")"},
		{"read_parquet", "SELECT * FROM read_parquet(" + lit(secret) + ")"},
		{"glob", "SELECT * FROM glob(" + lit(filepath.Dir(secret)+"/*") + ")"},
		{"copy to", "COPY (SELECT 1) TO " + lit(filepath.Join(dir, "out.csv"))},
		{"export", "EXPORT DATABASE " + lit(filepath.Join(dir, "exp"))},
		{"set external access", "SET enable_external_access = true"},
		{"set global allowed dirs", "SET GLOBAL allowed_directories = ['/']"},
		{"reset lock", "RESET lock_configuration"},
		{"unlock", "SET lock_configuration = false"},
		{"pragma", "PRAGMA enable_external_access = true"},
		{"profiling output", "PRAGMA profiling_output = " + lit(filepath.Join(dir, "p.json"))},
		{"install", "INSTALL httpfs"},
		{"load", "LOAD httpfs"},
		{"load a file", "LOAD " + lit(filepath.Join(dir, "x.duckdb_extension"))},
		{"attach sqlite", "ATTACH " + lit(other) + " AS o (TYPE sqlite)"},
		{"copy over production's file", "COPY (SELECT 1 AS x) TO " + lit(prodFile) + " (FORMAT csv, USE_TMP_FILE false)"},
		{"copy over production's file via a temp", "COPY (SELECT 1 AS x) TO " + lit(prodFile) + " (FORMAT csv)"},
		{"plant production's WAL", "COPY (SELECT 1 AS x) TO " + lit(prodFile+".wal") + " (FORMAT csv)"},
		{"plant production's checkpoint WAL", "COPY (SELECT 1 AS x) TO " + lit(prodFile+".wal.checkpoint") + " (FORMAT csv)"},
		{"read production's file", "SELECT count(*) FROM read_blob(" + lit(prodFile) + ")"},
		{"through the spill folder", "COPY (SELECT 1 AS x) TO " + lit(tempDir+"/../../"+prodFile) + " (FORMAT csv, USE_TMP_FILE false)"},
		{"attach through the spill folder", "ATTACH " + lit(tempDir+"/../../"+prodFile) + " AS p"},
		{"through the clone's path", "COPY (SELECT 1 AS x) TO " + lit(dir+"/PRODUCTION_CLONE_42.duckdb/../PRODUCTION.duckdb") + " (FORMAT csv, USE_TMP_FILE false)"},
		{"another PR's clone", "COPY (SELECT 1 AS x) TO " + lit(dir+"/PRODUCTION_CLONE_43.duckdb") + " (FORMAT csv, USE_TMP_FILE false)"},
		{"detach then attach", "DETACH \"PRODUCTION\"; ATTACH " + lit(prodFile) + " AS \"PRODUCTION\""},
		{"attach or replace", "ATTACH OR REPLACE " + lit(prodFile) + " AS \"PRODUCTION\""},
		{"read production", `SELECT count(*) FROM "PRODUCTION"."HACKER_NEWS"."ITEMS"`},
		{"a file:// URL", "COPY (SELECT 1 AS x) TO " + lit("file://"+prodFile) + " (FORMAT csv, USE_TMP_FILE false)"},
		{"attach a file:// URL", "ATTACH " + lit("file://"+prodFile) + " AS p"},
		{"lowercase file name", "COPY (SELECT 1 AS x) TO " + lit(dir+"/production.duckdb") + " (FORMAT csv, USE_TMP_FILE false)"},
		{"fullwidth file name", "COPY (SELECT 1 AS x) TO " + lit(dir+"/ＰＲＯＤＵＣＴＩＯＮ.duckdb") + " (FORMAT csv, USE_TMP_FILE false)"},
		{"double slash and ..", "COPY (SELECT 1 AS x) TO " + lit(dir+"//PRODUCTION_CLONE_42.duckdb/../PRODUCTION.duckdb") + " (FORMAT csv, USE_TMP_FILE false)"},
		{"home folder", "COPY (SELECT 1 AS x) TO '~/x.csv'"},
	}
	for _, a := range attacks {
		if err := g.Exec(ctx, a[1]); err == nil {
			t.Errorf("%s: accepted: %s", a[0], a[1])
		}
	}
	var ge *warehouse.GuardError
	if err := g.Exec(ctx, `INSERT INTO "PRODUCTION"."HACKER_NEWS"."ITEMS" (id) VALUES (99)`); !errors.As(err, &ge) ||
		!strings.Contains(err.Error(), "a branch connection does not open it") {
		t.Errorf("insert into PRODUCTION: %v, want a GuardError saying why", err)
	}
	if fileSum(t, prodFile) != before {
		t.Fatal("PRODUCTION's file changed")
	}
	for _, leaked := range []string{"out.csv", "exp", "p.json", "OTHER.duckdb", "PRODUCTION.duckdb.wal", "PRODUCTION.duckdb.wal.checkpoint", "PRODUCTION_CLONE_43.duckdb"} {
		if _, err := os.Stat(filepath.Join(dir, leaked)); err == nil {
			t.Errorf("%s was written", leaked)
		}
	}
	// Before clone_prod, the clone is not made by a write: it would have no
	// recorded origin.
	clone := warehouse.TableRef{Database: "PRODUCTION_CLONE_42", Schema: "HACKER_NEWS", Table: "ITEMS"}
	rows := warehousetest.Sample(50, 3)
	defer rows.Release()
	if err := g.WriteTable(ctx, clone, rows); err == nil || !strings.Contains(err.Error(), "run `run job clone_prod` first") {
		t.Errorf("write before clone_prod: %v", err)
	}
	// What a branch may do still works: clone production, write and read the
	// clone, with raw statements too.
	if _, err := g.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_42"); err != nil {
		t.Fatal(err)
	}
	if err := g.WriteTable(ctx, clone, rows); err != nil {
		t.Fatal(err)
	}
	if err := g.Exec(ctx, `CREATE TABLE "PRODUCTION_CLONE_42"."HACKER_NEWS"."COPY" AS SELECT * FROM "PRODUCTION_CLONE_42"."HACKER_NEWS"."ITEMS"`); err != nil {
		t.Errorf("a raw statement on the clone: %v", err)
	}
	got, err := g.ReadTable(ctx, clone)
	if err != nil {
		t.Fatal(err)
	}
	warehousetest.Equal(t, got, rows)
	got.Release()
	if err := g.Exec(ctx, `CHECKPOINT "PRODUCTION_CLONE_42"`); err != nil {
		t.Errorf("checkpoint of the clone: %v", err)
	}
	if fileSum(t, prodFile) != before {
		t.Fatal("PRODUCTION's file changed")
	}
	// Other databases: not made, not dropped, not opened.
	if _, err := g.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_43"); err == nil || !strings.Contains(err.Error(), "PRODUCTION_CLONE_43") {
		t.Errorf("clone onto another PR's database: %v", err)
	}
	if err := g.DropDatabase(ctx, "PRODUCTION_CLONE_43"); err == nil {
		t.Error("dropped another PR's database")
	}
	if err := g.WriteTable(ctx, warehouse.TableRef{Database: "OTHER", Schema: "S", Table: "T"}, rows); err == nil {
		t.Error("wrote another database")
	}
	if fileSum(t, prodFile) != before {
		t.Fatal("PRODUCTION's file changed")
	}
	// CALL enable_logging is not stopped by lock_configuration, but its file
	// still has to pass the file-system wall: nothing is written (and the
	// connection refuses statements from then on). Last, for that reason.
	_ = g.Exec(ctx, "CALL enable_logging(storage = 'file', storage_path = "+lit(filepath.Join(dir, "log"))+")")
	_ = g.Exec(ctx, "SELECT 1")
	if _, err := os.Stat(filepath.Join(dir, "log")); err == nil {
		t.Error("enable_logging wrote a log beside production")
	}
	if fileSum(t, prodFile) != before {
		t.Fatal("PRODUCTION's file changed")
	}
}
