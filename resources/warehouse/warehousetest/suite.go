// Package warehousetest is the behaviour every warehouse backend must show, as a
// test suite each backend runs against a real instance of itself.
package warehousetest

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// Opener returns a fresh, empty warehouse for one test; the suite closes it.
type Opener func(t *testing.T) warehouse.Warehouse

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("RoundTripEveryColumnKind", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("ReplaceTable", func(t *testing.T) { testReplace(t, open(t)) })
	t.Run("CloneIsEqualAndIndependent", func(t *testing.T) { testClone(t, open(t)) })
	t.Run("DropAndList", func(t *testing.T) { testDropAndList(t, open(t)) })
	t.Run("Guard", func(t *testing.T) { testGuard(t, open(t)) })
	t.Run("RefusesBadIdentifiers", func(t *testing.T) { testIdentifiers(t, open(t)) })
	t.Run("CancelledWriteKeepsPreviousTable", func(t *testing.T) { testCancelledWrite(t, open(t)) })
	t.Run("LargeTable", func(t *testing.T) { testLargeTable(t, open(t)) })
	RunQueries(t, open)
}

// LargeRows is the size of the large table: on Snowflake, above the array
// binding threshold a real account sends (65,280 values), so its rows go
// through a stage, and its answer comes in several chunks.
const LargeRows = 20_000

func testLargeTable(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	write(t, w, prod, Sample(1, 3))
	write(t, w, prod, Sample(1, LargeRows))
	want := Sample(1, LargeRows)
	defer want.Release()
	Equal(t, read(t, w, prod), want)
	if i := info(t, w, prod); i.Rows != LargeRows {
		t.Errorf("info says %d rows, want %d", i.Rows, LargeRows)
	}
}

var (
	prod  = warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	clone = warehouse.TableRef{Database: "PRODUCTION_CLONE_42", Schema: "HACKER_NEWS", Table: "ITEMS"}
)

// Sample returns a table with every column kind, nulls, empty and non-empty lists,
// unicode, and n rows whose ids start at first.
func Sample(first, n int) arrow.Table {
	cols := []warehouse.Column{{Name: "id", Kind: warehouse.Int64}, {Name: "title", Kind: warehouse.String},
		{Name: "time", Kind: warehouse.Timestamp}, {Name: "kids", Kind: warehouse.Int64List},
		{Name: "dead", Kind: warehouse.Bool}, {Name: "ratio", Kind: warehouse.Float64}}
	b := array.NewRecordBuilder(memory.DefaultAllocator, warehouse.SchemaOf(cols))
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%5 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append("títle ✓ " + string(rune('a'+i%26)) + ` "q" 'x'`)
		}
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Unix(1160418111+int64(i), 0).UnixMicro()))
		kids := b.Field(3).(*array.ListBuilder)
		switch i % 3 {
		case 0:
			kids.AppendNull()
		case 1:
			kids.Append(true)
		default:
			kids.Append(true)
			kids.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{int64(i) * 10, int64(i)*10 + 1}, nil)
		}
		if i%7 == 0 {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.BooleanBuilder).Append(i%2 == 0)
		}
		b.Field(5).(*array.Float64Builder).Append(float64(i) / 4)
	}
	rec := b.NewRecord()
	defer rec.Release()
	return array.NewTableFromRecords(rec.Schema(), []arrow.Record{rec})
}

// Rows flattens a table into comparable rows of driver values.
func Rows(t arrow.Table) [][]any {
	tr := array.NewTableReader(t, 1024)
	defer tr.Release()
	var out [][]any
	for tr.Next() {
		rec := tr.Record()
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for c, col := range rec.Columns() {
				row[c] = warehouse.Value(col, i)
			}
			out = append(out, row)
		}
	}
	return out
}

// Equal fails the test unless the two tables have the same schema and rows.
func Equal(t *testing.T, got, want arrow.Table) {
	t.Helper()
	if !got.Schema().Equal(want.Schema()) {
		t.Fatalf("schema\n got %s\nwant %s", got.Schema(), want.Schema())
	}
	g, w := Rows(got), Rows(want)
	if len(g) != len(w) {
		t.Fatalf("%d rows, want %d", len(g), len(w))
	}
	for i := range g {
		for c := range g[i] {
			if !equalValue(g[i][c], w[i][c]) {
				t.Fatalf("row %d column %s: got %#v, want %#v", i, got.Schema().Field(c).Name, g[i][c], w[i][c])
			}
		}
	}
}

func equalValue(a, b any) bool {
	switch x := a.(type) {
	case []int64:
		y, ok := b.([]int64)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return a == b
}

func write(t *testing.T, w warehouse.Warehouse, ref warehouse.TableRef, tbl arrow.Table) {
	t.Helper()
	defer tbl.Release()
	if err := w.WriteTable(context.Background(), ref, tbl); err != nil {
		t.Fatalf("write %s: %v", ref, err)
	}
}

func read(t *testing.T, w warehouse.Warehouse, ref warehouse.TableRef) arrow.Table {
	t.Helper()
	tbl, err := w.ReadTable(context.Background(), ref)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	t.Cleanup(tbl.Release)
	return tbl
}

func info(t *testing.T, w warehouse.Warehouse, ref warehouse.TableRef) warehouse.TableInfo {
	t.Helper()
	i, err := w.TableInfo(context.Background(), ref)
	if err != nil {
		t.Fatalf("info %s: %v", ref, err)
	}
	return i
}

func testRoundTrip(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	if i := info(t, w, prod); i.Exists {
		t.Fatal("table exists before it was written")
	}
	write(t, w, prod, Sample(1, 50))
	want := Sample(1, 50)
	defer want.Release()
	Equal(t, read(t, w, prod), want)
	if i := info(t, w, prod); !i.Exists || i.Rows != 50 || time.Since(i.Modified) > time.Hour || i.Modified.After(time.Now().Add(time.Minute)) {
		t.Errorf("info %+v, want 50 rows written just now", i)
	}
}

func testReplace(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	write(t, w, prod, Sample(1, 50))
	write(t, w, prod, Sample(100, 7))
	want := Sample(100, 7)
	defer want.Release()
	Equal(t, read(t, w, prod), want)
}

func testClone(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	ctx := context.Background()
	write(t, w, prod, Sample(1, 30))
	if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_42"); err != nil {
		t.Fatal(err)
	}
	Equal(t, read(t, w, clone), read(t, w, prod))

	// Writing the clone leaves the source as it was.
	write(t, w, clone, Sample(500, 3))
	want := Sample(1, 30)
	defer want.Release()
	Equal(t, read(t, w, prod), want)
	if i := info(t, w, clone); i.Rows != 3 {
		t.Errorf("clone has %d rows after its write, want 3", i.Rows)
	}

	// Cloning again replaces the clone with a fresh copy of the source.
	if _, err := w.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_42"); err != nil {
		t.Fatal(err)
	}
	Equal(t, read(t, w, clone), want)

	if _, err := w.CloneDatabase(ctx, "NO_SUCH_DB", "PRODUCTION_CLONE_43"); err == nil {
		t.Error("cloning a missing database succeeded")
	}
}

func testDropAndList(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	ctx := context.Background()
	write(t, w, prod, Sample(1, 5))
	for _, db := range []string{"PRODUCTION_CLONE_42", "PRODUCTION_CLONE_43"} {
		if _, err := w.CloneDatabase(ctx, "PRODUCTION", db); err != nil {
			t.Fatal(err)
		}
	}
	names, err := w.ListDatabases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(names, "PRODUCTION") || !contains(names, "PRODUCTION_CLONE_42") || !contains(names, "PRODUCTION_CLONE_43") {
		t.Fatalf("databases %v", names)
	}
	for i := 0; i < 2; i++ { // dropping twice is harmless
		if err := w.DropDatabase(ctx, "PRODUCTION_CLONE_42"); err != nil {
			t.Fatalf("drop #%d: %v", i+1, err)
		}
	}
	names, _ = w.ListDatabases(ctx)
	if contains(names, "PRODUCTION_CLONE_42") || !contains(names, "PRODUCTION_CLONE_43") {
		t.Errorf("after drop: %v", names)
	}
	if i := info(t, w, clone); i.Exists {
		t.Error("a table of a dropped database still exists")
	}
	if i := info(t, w, warehouse.TableRef{Database: "PRODUCTION_CLONE_43", Schema: "HACKER_NEWS", Table: "ITEMS"}); i.Rows != 5 {
		t.Error("dropping one clone touched the other")
	}
}

func testGuard(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	ctx := context.Background()
	write(t, w, prod, Sample(1, 10))
	g := warehouse.Guard(w, "PRODUCTION")
	var ge *warehouse.GuardError
	tbl := Sample(1, 2)
	defer tbl.Release()
	if err := g.WriteTable(ctx, prod, tbl); !errors.As(err, &ge) {
		t.Errorf("write to PRODUCTION: %v", err)
	}
	if _, err := g.CloneDatabase(ctx, "PRODUCTION_CLONE_42", "production"); !errors.As(err, &ge) {
		t.Errorf("clone onto PRODUCTION: %v", err)
	}
	if err := g.DropDatabase(ctx, "PRODUCTION"); !errors.As(err, &ge) {
		t.Errorf("drop PRODUCTION: %v", err)
	}
	if err := g.Exec(ctx, `DROP TABLE "PRODUCTION"."HACKER_NEWS"."ITEMS"`); !errors.As(err, &ge) {
		t.Errorf("exec naming PRODUCTION: %v", err)
	}
	// What the branch may do still works: read production, clone from it, write the clone.
	if _, err := g.CloneDatabase(ctx, "PRODUCTION", "PRODUCTION_CLONE_42"); err != nil {
		t.Fatal(err)
	}
	write(t, g, clone, Sample(7, 1))
	want := Sample(1, 10)
	defer want.Release()
	Equal(t, read(t, g, prod), want)
}

func testIdentifiers(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	ctx := context.Background()
	tbl := Sample(1, 1)
	defer tbl.Release()
	before, err := w.ListDatabases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{`x"; DROP DATABASE PRODUCTION; --`, "../etc/passwd", "", "1abc", "a b", "PRODUCTION.HACKER"}
	for _, name := range bad {
		var ie *warehouse.IdentError
		if err := w.WriteTable(ctx, warehouse.TableRef{Database: name, Schema: "S", Table: "T"}, tbl); !errors.As(err, &ie) {
			t.Errorf("database %q: %v", name, err)
		}
		if err := w.WriteTable(ctx, warehouse.TableRef{Database: "D", Schema: "S", Table: name}, tbl); !errors.As(err, &ie) {
			t.Errorf("table %q: %v", name, err)
		}
		if _, err := w.CloneDatabase(ctx, "PRODUCTION", name); !errors.As(err, &ie) {
			t.Errorf("clone to %q: %v", name, err)
		}
		if err := w.DropDatabase(ctx, name); !errors.As(err, &ie) {
			t.Errorf("drop %q: %v", name, err)
		}
	}
	if after, _ := w.ListDatabases(ctx); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("refused calls changed the databases: %v, then %v", before, after)
	}
}

func testCancelledWrite(t *testing.T, w warehouse.Warehouse) {
	defer w.Close()
	write(t, w, prod, Sample(1, 20))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tbl := Sample(1000, 5)
	defer tbl.Release()
	if err := w.WriteTable(ctx, prod, tbl); err == nil {
		t.Fatal("a cancelled write succeeded")
	}
	want := Sample(1, 20)
	defer want.Release()
	Equal(t, read(t, w, prod), want)

	// Cancelled during the write: the context ends when the backend starts
	// reading the rows, which it does only after its staging table exists.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	during := &cancelOnRead{Table: Sample(5000, 3000), cancel: cancel}
	defer during.Release()
	err := w.WriteTable(ctx, prod, during)
	if n := during.reads.Load(); n == 0 {
		t.Fatal("the cancel never landed mid-write: the backend did not read the rows")
	}
	if err == nil {
		t.Fatal("a write cancelled while it read the rows succeeded")
	}
	Equal(t, read(t, w, prod), want)
	// The next write is not disturbed by what the cancelled one left.
	again := Sample(7, 3)
	defer again.Release()
	write(t, w, prod, Sample(7, 3))
	Equal(t, read(t, w, prod), again)
}

// cancelOnRead is a table that cancels a context the first time its columns are
// read, and counts the reads: a count above zero proves the cancel landed while
// a write was under way.
type cancelOnRead struct {
	arrow.Table
	cancel context.CancelFunc
	reads  atomic.Int32
}

func (c *cancelOnRead) Column(i int) *arrow.Column {
	c.reads.Add(1)
	c.cancel()
	return c.Table.Column(i)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
