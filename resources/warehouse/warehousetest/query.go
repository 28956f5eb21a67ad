package warehousetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// RunQueries runs the part of the suite about WriteQuery: tables computed inside
// the warehouse.
func RunQueries(t *testing.T, open Opener) {
	t.Run("WriteQuery", func(t *testing.T) { testWriteQuery(t, open(t)) })
	t.Run("FailedQueryKeepsPreviousTable", func(t *testing.T) { testFailedQuery(t, open(t)) })
	t.Run("QueryRefusals", func(t *testing.T) { testQueryRefusals(t, open(t)) })
}

var derived = warehouse.TableRef{Database: "PRODUCTION_CLONE_42", Schema: "HACKER_NEWS", Table: "DERIVED"}

func writeQuery(t *testing.T, w warehouse.Warehouse, ref warehouse.TableRef, query string) warehouse.TableShape {
	t.Helper()
	shape, err := w.WriteQuery(context.Background(), ref, query)
	if err != nil {
		t.Fatalf("write query into %s: %v", ref, err)
	}
	return shape
}

// withClone writes three rows to production, clones it (a Snowflake account
// has no clone database until then) and writes n rows to the clone's ITEMS.
func withClone(t *testing.T, w warehouse.Warehouse, n int) {
	t.Helper()
	write(t, w, prod, Sample(1, 3))
	if _, err := w.CloneDatabase(context.Background(), prod.Database, clone.Database); err != nil {
		t.Fatal(err)
	}
	write(t, w, clone, Sample(1, n))
}

func testWriteQuery(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	withClone(t, w, 10)
	// Every column kind survives, with the query's filter and order.
	shape := writeQuery(t, w, derived, `SELECT * FROM `+clone.Quoted()+` WHERE "id" > 5 ORDER BY "id";`)
	if shape.Rows != 5 || strings.Join(shape.Columns, ",") != "id,title,time,kids,dead,ratio" {
		t.Errorf("shape %+v, want 5 rows of id,title,time,kids,dead,ratio", shape)
	}
	want := Sample(6, 5)
	defer want.Release()
	Equal(t, read(t, w, derived), want)
	if i := info(t, w, derived); !i.Exists || i.Rows != 5 || time.Since(i.Modified) > time.Hour {
		t.Errorf("info %+v, want 5 rows written just now", i)
	}
	// A second query replaces the table, columns included.
	shape = writeQuery(t, w, derived, `WITH small AS (SELECT "id" FROM `+clone.Quoted()+` WHERE "id" <= 3) SELECT "id" AS "n" FROM small ORDER BY "n"`)
	if shape.Rows != 3 || strings.Join(shape.Columns, ",") != "n" {
		t.Errorf("shape %+v, want 3 rows of n", shape)
	}
	rows := Rows(read(t, w, derived))
	if len(rows) != 3 || len(rows[0]) != 1 || rows[0][0] != int64(1) || rows[2][0] != int64(3) {
		t.Errorf("replaced table holds %v, want ids 1..3 alone", rows)
	}
	// An empty result is a table with no rows, not an error.
	if shape := writeQuery(t, w, derived, `SELECT "id" FROM `+clone.Quoted()+` WHERE "id" < 0`); shape.Rows != 0 {
		t.Errorf("empty result: %+v", shape)
	}
	if i := info(t, w, derived); !i.Exists || i.Rows != 0 {
		t.Errorf("after an empty result: %+v", i)
	}
}

// A query that fails while it runs (a cast that breaks on a row) or before (an
// unknown column) leaves the previous table whole, and the next write works.
func testFailedQuery(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	ctx := context.Background()
	withClone(t, w, 10)
	writeQuery(t, w, derived, `SELECT * FROM `+clone.Quoted()+` WHERE "id" <= 4 ORDER BY "id"`)
	for _, q := range []string{
		`SELECT CAST("title" AS BIGINT) AS "broken" FROM ` + clone.Quoted(),
		`SELECT "no_such_column" FROM ` + clone.Quoted(),
		`SELECT * FROM ` + warehouse.TableRef{Database: clone.Database, Schema: clone.Schema, Table: "NO_SUCH_TABLE"}.Quoted(),
	} {
		shape, err := w.WriteQuery(ctx, derived, q)
		if err == nil {
			t.Fatalf("%s: succeeded with %+v", q, shape)
		}
		if !strings.Contains(err.Error(), derived.String()) {
			t.Errorf("error does not name the table: %v", err)
		}
		want := Sample(1, 4)
		Equal(t, read(t, w, derived), want)
		want.Release()
	}
	if shape := writeQuery(t, w, derived, `SELECT "id" FROM `+clone.Quoted()); shape.Rows != 10 {
		t.Errorf("the write after failures: %+v", shape)
	}
}

// Anything but one SELECT is refused before it runs, and so is a write to or a
// query naming production behind the guard.
func testQueryRefusals(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	ctx := context.Background()
	withClone(t, w, 3)
	for _, q := range []string{"", " ; ", `DROP TABLE ` + clone.Quoted(), `DELETE FROM ` + clone.Quoted(),
		`SELECT 1 AS "x"; DROP TABLE ` + clone.Quoted(), `SELECT 1 AS "x"; SELECT 2 AS "y"`} {
		if _, err := w.WriteQuery(ctx, derived, q); err == nil {
			t.Errorf("%q was run", q)
		}
	}
	if i := info(t, w, clone); !i.Exists || i.Rows != 3 {
		t.Fatalf("a refused query changed %s: %+v", clone, i)
	}
	if i := info(t, w, derived); i.Exists {
		t.Errorf("a refused query wrote %s", derived)
	}
	var qe *warehouse.QueryError
	if _, err := w.WriteQuery(ctx, derived, "DROP TABLE x"); !errors.As(err, &qe) {
		t.Errorf("DROP TABLE: %v, want a *QueryError", err)
	}
	var ie *warehouse.IdentError
	if _, err := w.WriteQuery(ctx, warehouse.TableRef{Database: `x"; DROP`, Schema: "S", Table: "T"}, "SELECT 1 AS x"); !errors.As(err, &ie) {
		t.Errorf("bad database name: %v", err)
	}

	g := warehouse.Guard(w, "PRODUCTION")
	var ge *warehouse.GuardError
	if _, err := g.WriteQuery(ctx, prod, `SELECT * FROM `+clone.Quoted()); !errors.As(err, &ge) {
		t.Errorf("query into PRODUCTION: %v", err)
	}
	if _, err := g.WriteQuery(ctx, derived, `SELECT * FROM `+prod.Quoted()); !errors.As(err, &ge) {
		t.Errorf("query naming PRODUCTION: %v", err)
	}
	if i := info(t, w, prod); i.Rows != 3 {
		t.Errorf("production changed: %+v", i)
	}
	if shape, err := g.WriteQuery(ctx, derived, `SELECT "id" FROM `+clone.Quoted()); err != nil || shape.Rows != 3 {
		t.Errorf("the clone, behind the guard: %+v, %v", shape, err)
	}
}
