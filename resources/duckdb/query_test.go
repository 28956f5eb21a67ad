package duckdb_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// A query that fails, or whose swap fails, leaves no staging table behind and
// the previous table whole.
func TestFailedQueryLeavesNoStagingTable(t *testing.T) {
	w := open(t, t.TempDir())
	defer w.Close()
	ctx := context.Background()
	first := warehousetest.Sample(1, 40)
	defer first.Release()
	if err := w.WriteTable(ctx, items, first); err != nil {
		t.Fatal(err)
	}
	derived := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "DERIVED"}
	if _, err := w.WriteQuery(ctx, derived, `SELECT * FROM `+items.Quoted()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteQuery(ctx, derived, `SELECT error('boom ' || "id") FROM `+items.Quoted()); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("failing query: %v", err)
	}
	swaps := 0
	w.SetBeforeSwap(func() error { swaps++; return errors.New("injected failure") })
	if _, err := w.WriteQuery(ctx, derived, `SELECT "id" FROM `+items.Quoted()); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("failing swap: %v", err)
	}
	if swaps != 1 {
		t.Fatalf("the swap fault landed %d times, want 1", swaps)
	}
	got, err := w.ReadTable(ctx, derived)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	warehousetest.Equal(t, got, first)
	var n int
	if err := w.DB().QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_af_staging_%'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d staging tables left (%v)", n, err)
	}
}
