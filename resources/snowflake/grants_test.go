package snowflake_test

import (
	"context"
	"testing"

	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// A role granted SELECT on ITEMS can still read it after every write: the
// write replaces the table with COPY GRANTS. (With ALTER TABLE ... SWAP WITH,
// the grant followed the old content onto the staging table, then dropped.)
func TestGrantSurvivesWrite(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	w, err := snowflake.Open(ctx, config(srv))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	raw := inspectorDB(t, srv)
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	for i, n := range []int{5, 12, 3} {
		tbl := warehousetest.Sample(100*i+1, n)
		if err := w.WriteTable(ctx, ref, tbl); err != nil {
			t.Fatal(err)
		}
		tbl.Release()
		if i == 0 {
			for _, s := range []string{"CREATE ROLE ANALYST", `GRANT SELECT ON TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS" TO ROLE ANALYST`} {
				if err := w.Exec(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
		}
		if g := tableGrants(t, raw, ref); g != "OWNERSHIP>ASSETFLOW,SELECT>ANALYST" {
			t.Errorf("after write %d: grants %s", i+1, g)
		}
	}
	if n := loadTables(t, raw, "PRODUCTION"); n != 0 {
		t.Errorf("%d load tables left behind", n)
	}
}

// DDL commits on Snowflake, so a write cannot rely on rolling DDL back: it
// must be all or nothing because its only change to the table is one
// statement. A failure at each statement of a write leaves the old table
// whole, with its grants, and no load table.
func TestWriteAllOrNothingAtEachStatement(t *testing.T) {
	ref := warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	for _, step := range []struct{ name, pattern string }{
		{"create schema", `^CREATE SCHEMA`},
		{"create load table", `^CREATE OR REPLACE TABLE \S+"_AF_RAW_`},
		{"first insert", `^INSERT INTO`},
		{"commit of the inserts", `^COMMIT`},
		{"replace", `COPY GRANTS`},
	} {
		t.Run(step.name, func(t *testing.T) {
			srv := startServer(t)
			ctx := context.Background()
			w, err := snowflake.Open(ctx, config(srv))
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			first := warehousetest.Sample(1, 10)
			defer first.Release()
			if err := w.WriteTable(ctx, ref, first); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{"CREATE ROLE ANALYST", `GRANT SELECT ON TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS" TO ROLE ANALYST`} {
				if err := w.Exec(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			srv.FailStatements(step.pattern, 1)
			second := warehousetest.Sample(500, 30)
			defer second.Release()
			if err := w.WriteTable(ctx, ref, second); err == nil {
				t.Fatal("the write succeeded")
			}
			if srv.FailedStatements() != 1 {
				t.Fatalf("the fault did not land")
			}
			got, err := w.ReadTable(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Release()
			warehousetest.Equal(t, got, first)
			raw := inspectorDB(t, srv)
			if g := tableGrants(t, raw, ref); g != "OWNERSHIP>ASSETFLOW,SELECT>ANALYST" {
				t.Errorf("grants %s", g)
			}
			if n := loadTables(t, raw, "PRODUCTION"); n != 0 {
				t.Errorf("%d load tables left behind", n)
			}
		})
	}
}
