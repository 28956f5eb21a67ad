package duckdb_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// TestSealedReadsButTouchesNoFile: a sealed instance reads PRODUCTION with raw
// SQL, and every way to write it or reach a file fails.
func TestSealedReadsButTouchesNoFile(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
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
	s, err := duckdb.OpenSealed(ctx, dir, "PRODUCTION")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	r, err := s.Query(ctx, `SELECT count(*) FROM "PRODUCTION"."HACKER_NEWS"."ITEMS"`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		if err := r.Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	if n != 10 {
		t.Errorf("read %d rows of PRODUCTION, want 10", n)
	}
	lit := func(s string) string { return "'" + s + "'" }
	for _, stmt := range []string{
		`CREATE OR REPLACE TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS" AS SELECT 1 AS x`,
		`DELETE FROM production.hacker_news.items`,
		"COPY (SELECT 1 AS x) TO " + lit(prodFile) + " (FORMAT csv, USE_TMP_FILE false)",
		"COPY (SELECT 1 AS x) TO " + lit(prodFile+".wal") + " (FORMAT csv)",
		"SELECT count(*) FROM read_blob(" + lit(prodFile) + ")",
		"ATTACH " + lit(prodFile) + " AS p",
		"ATTACH " + lit(dir+"/PRODUCTIO") + "\n" + lit("N.duckdb") + " AS p",
		"DETACH \"PRODUCTION\"; ATTACH " + lit(prodFile) + " AS \"PRODUCTION\"",
		"EXPORT DATABASE " + lit(filepath.Join(dir, "exp")),
		"SET disabled_filesystems = ''",
		"RESET disabled_filesystems",
		"SET lock_configuration = false",
		"INSTALL httpfs",
		"LOAD httpfs",
	} {
		if err := s.Exec(ctx, stmt); err == nil {
			t.Errorf("accepted: %s", stmt)
		}
	}
	if fileSum(t, prodFile) != before {
		t.Fatal("PRODUCTION's file changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "exp")); err == nil {
		t.Error("EXPORT wrote a folder")
	}
}
