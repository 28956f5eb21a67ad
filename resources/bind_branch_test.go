package resources_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// TestBranchBindingIsConfined: the warehouse a branch is bound to refuses the
// split-literal ATTACH of production's file that once overwrote production,
// and does not open production at all.
func TestBranchBindingIsConfined(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := duckdb.Open(ctx, duckdb.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rows := warehousetest.Sample(1, 3)
	defer rows.Release()
	if err := w.WriteTable(ctx, warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}, rows); err != nil {
		t.Fatal(err)
	}
	w.Close()
	env := resources.Environment{Name: resources.Branch, PRID: "42"}
	res, err := resources.Warehouse(env, "HACKER_NEWS", resources.Options{Lookup: lookup(map[string]string{"ASSETFLOW_WAREHOUSE": "duckdb://" + dir})})
	if err != nil {
		t.Fatal(err)
	}
	v, err := res["warehouse"].Open(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := v.(warehouse.Warehouse)
	defer g.Close()
	attack := "ATTACH '" + filepath.Join(dir, "PRODUCTIO") + "'\n'N.duckdb' AS p"
	if err := g.Exec(ctx, attack); err == nil {
		t.Fatal("a branch attached production's file under another name")
	}
	if err := g.Exec(ctx, "COPY (SELECT 1 AS x) TO '"+filepath.Join(dir, "PRODUCTION.duckdb")+"' (FORMAT csv, USE_TMP_FILE false)"); err == nil {
		t.Fatal("a branch overwrote production's file")
	}
}
