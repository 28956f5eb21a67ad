package duckdb_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// TestRawStatementLeavesNoTransactionOpen: a raw statement that opens a
// transaction (BEGIN) or leaves one aborted (a failing COPY FROM DATABASE) must
// not hand its pooled connection back mid-transaction, where the I/O manager's
// next write would land in it and fail, or vanish.
func TestRawStatementLeavesNoTransactionOpen(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w := open(t, dir)
	err = w.Exec(ctx, "BEGIN TRANSACTION")
	if err == nil || !strings.Contains(err.Error(), "left a transaction open") {
		t.Errorf("a bare BEGIN: %v, want an error saying the transaction was left open", err)
	}
	_ = w.Exec(ctx, `COPY FROM DATABASE "NOPE" TO memory`) // fails, may leave its transaction aborted
	if err := w.Exec(ctx, "BEGIN; CREATE TABLE t AS SELECT 1 AS x; COMMIT"); err != nil {
		t.Errorf("a whole transaction in one statement: %v", err)
	}
	rows := warehousetest.Sample(1, 10)
	defer rows.Release()
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	for i := 0; i < 4; i++ { // every pooled connection
		if err := w.WriteTable(ctx, ref, rows); err != nil {
			t.Fatalf("write %d after raw transaction statements: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w2, err := duckdb.Open(ctx, duckdb.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	got, err := w2.ReadTable(ctx, ref)
	if err != nil {
		t.Fatalf("the write did not last: %v", err)
	}
	defer got.Release()
	warehousetest.Equal(t, got, rows)
}
