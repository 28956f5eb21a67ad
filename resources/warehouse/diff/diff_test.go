package diff_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/assetflow/assetflow/internal/sfserver"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/snowflake"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/diff"
)

var (
	base = warehouse.TableRef{Database: "PRODUCTION", Schema: "HACKER_NEWS", Table: "ITEMS"}
	head = warehouse.TableRef{Database: "PRODUCTION_CLONE_7", Schema: "HACKER_NEWS", Table: "ITEMS"}
)

// backends opens each warehouse backend on an empty folder: DuckDB directly,
// and Snowflake through the real driver against the local test double.
func backends(t *testing.T) map[string]func(t *testing.T) warehouse.Warehouse {
	return map[string]func(t *testing.T) warehouse.Warehouse{
		"duckdb": func(t *testing.T) warehouse.Warehouse {
			w, err := duckdb.Open(context.Background(), duckdb.Config{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			return w
		},
		"snowflake": func(t *testing.T) warehouse.Warehouse {
			srv, err := sfserver.Start(context.Background(), sfserver.Config{Dir: t.TempDir(),
				Users: map[string]string{"CI": "pw"}, Databases: []string{"PRODUCTION", "PRODUCTION_CLONE_7"}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			w, err := snowflake.Open(context.Background(), snowflake.Config{Account: "local", User: "CI", Password: "pw",
				Host: "127.0.0.1", Port: srv.Port(), Protocol: "http", LoginTimeout: 5 * time.Second, RequestTimeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			return w
		},
	}
}

var itemCols = []warehouse.Column{{Name: "id", Kind: warehouse.Int64}, {Name: "type", Kind: warehouse.String},
	{Name: "title", Kind: warehouse.String}, {Name: "score", Kind: warehouse.Int64}, {Name: "kids", Kind: warehouse.Int64List}}

func write(t *testing.T, w warehouse.Warehouse, ref warehouse.TableRef, cols []warehouse.Column, rows [][]any) {
	t.Helper()
	b := warehouse.NewTableBuilder(cols)
	for _, r := range rows {
		if err := b.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	tbl := b.Table()
	defer tbl.Release()
	if err := w.WriteTable(context.Background(), ref, tbl); err != nil {
		t.Fatal(err)
	}
}

func items(from, to int) [][]any {
	var rows [][]any
	for i := from; i <= to; i++ {
		rows = append(rows, []any{int64(i), "story", "title " + string(rune('a'+i%26)), int64(i * 10), []int64{int64(i * 100)}})
	}
	return rows
}

// Rows added, removed and changed are found by key on both backends, with the
// changed values counted per column and samples of each kind.
func TestRowsAddedRemovedChanged(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := open(t)
			write(t, w, base, itemCols, items(1, 20))
			rows := items(3, 23)                    // 1 and 2 removed, 21..23 added
			rows[2][2] = "a new title"              // id 5: title changed
			rows[3][3] = int64(-1)                  // id 6: score changed
			rows[4][2], rows[4][3] = nil, int64(0)  // id 7: title to null and score changed
			rows[5][4] = []int64{1, 2}              // id 8: kids changed
			rows[18][2] = "line\nbreak \x1b[31mred" // id 21, added: shown without control characters
			write(t, w, head, itemCols, rows)

			d, err := diff.Compare(context.Background(), source(t, w), base, head, diff.Options{Key: []string{"id"}, Samples: 2})
			if err != nil {
				t.Fatal(err)
			}
			if !d.Compared || d.KeyNote != "" {
				t.Fatalf("not compared by key: %q", d.KeyNote)
			}
			if d.BaseRows != 20 || d.HeadRows != 21 || d.RowsAdded != 3 || d.RowsRemoved != 2 || d.RowsChanged != 4 {
				t.Fatalf("counts: base %d head %d added %d removed %d changed %d", d.BaseRows, d.HeadRows, d.RowsAdded, d.RowsRemoved, d.RowsChanged)
			}
			want := []diff.ColumnCount{{Column: "title", Count: 2}, {Column: "score", Count: 2}, {Column: "kids", Count: 1}}
			if !reflect.DeepEqual(d.ChangedValues, want) {
				t.Fatalf("changed values %+v, want %+v", d.ChangedValues, want)
			}
			if len(d.SampleAdded) != 2 || d.SampleAdded[0].Key[0] != "21" || d.SampleAdded[1].Key[0] != "22" ||
				d.SampleAdded[0].Values["title"] != "line break  [31mred" {
				t.Fatalf("added sample %+v", d.SampleAdded)
			}
			if len(d.SampleRemoved) != 2 || d.SampleRemoved[0].Key[0] != "1" || d.SampleRemoved[0].Values["title"] != "title b" {
				t.Fatalf("removed sample %+v", d.SampleRemoved)
			}
			if len(d.SampleChanged) != 2 || d.SampleChanged[0].Key[0] != "5" ||
				!reflect.DeepEqual(d.SampleChanged[0].Changes, []diff.Change{{Column: "title", Base: "title f", Head: "a new title"}}) ||
				d.SampleChanged[1].Key[0] != "6" || d.SampleChanged[1].Changes[0] != (diff.Change{Column: "score", Base: "60", Head: "-1"}) {
				t.Fatalf("changed sample %+v", d.SampleChanged)
			}
			if len(d.Added)+len(d.Removed)+len(d.Retyped) != 0 {
				t.Fatalf("schema change reported for an equal schema: %+v %+v %+v", d.Added, d.Removed, d.Retyped)
			}

			same, err := diff.Compare(context.Background(), source(t, w), base, base, diff.Options{Key: []string{"ID"}})
			if err != nil {
				t.Fatal(err)
			}
			if same.Changed() || !same.Compared {
				t.Fatalf("a table differs from itself: %+v", same)
			}
		})
	}
}

// A column added, one removed and one retyped are reported; rows are still
// compared on the columns both sides share.
func TestSchemaChange(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			w := open(t)
			write(t, w, base, itemCols, items(1, 5))
			headCols := []warehouse.Column{{Name: "id", Kind: warehouse.Int64}, {Name: "type", Kind: warehouse.String},
				{Name: "title", Kind: warehouse.String}, {Name: "score", Kind: warehouse.String}, {Name: "url", Kind: warehouse.String}}
			var rows [][]any
			for _, r := range items(1, 5) {
				rows = append(rows, []any{r[0], r[1], r[2], "ten", "https://example.com"})
			}
			rows[0][1] = "job"
			write(t, w, head, headCols, rows)
			d, err := diff.Compare(context.Background(), source(t, w), base, head, diff.Options{Key: []string{"id"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Added) != 1 || d.Added[0].Name != "url" || len(d.Removed) != 1 || d.Removed[0].Name != "kids" ||
				len(d.Retyped) != 1 || d.Retyped[0].Name != "score" || d.Retyped[0].BaseType == d.Retyped[0].HeadType {
				t.Fatalf("schema change: added %+v removed %+v retyped %+v", d.Added, d.Removed, d.Retyped)
			}
			if !d.Compared || d.RowsChanged != 1 || len(d.ChangedValues) != 1 || d.ChangedValues[0] != (diff.ColumnCount{Column: "type", Count: 1}) {
				t.Fatalf("rows: compared %v changed %d values %+v (%s)", d.Compared, d.RowsChanged, d.ChangedValues, d.KeyNote)
			}
		})
	}
}

// Without a key, or with a key that repeats, only schema and counts are
// compared, and the report says why.
func TestNoKeyAndDuplicateKey(t *testing.T) {
	w := backends(t)["duckdb"](t)
	write(t, w, base, itemCols, items(1, 5))
	write(t, w, head, itemCols, append(items(1, 5), items(2, 2)...))
	d, err := diff.Compare(context.Background(), source(t, w), base, head, diff.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Compared || d.KeyNote == "" || d.HeadRows != 6 || d.BaseRows != 5 {
		t.Fatalf("no key: %+v", d)
	}
	d, err = diff.Compare(context.Background(), source(t, w), base, head, diff.Options{Key: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Compared || !strings.Contains(d.KeyNote, "not unique in head") {
		t.Fatalf("duplicate key compared: %+v", d)
	}
	t.Log(d.KeyNote)
	// base unique, head repeats a key or has a null one: found from the join
	d, err = diff.Compare(context.Background(), source(t, w), head, base, diff.Options{Key: []string{"id"}})
	if err != nil || d.Compared || !strings.Contains(d.KeyNote, "not unique in base") {
		t.Fatalf("duplicate in base: %v %+v", err, d)
	}
	nulls := head
	nulls.Table = "NULLS"
	write(t, w, nulls, itemCols, append(items(1, 5), []any{nil, "story", "x", int64(1), nil}))
	d, err = diff.Compare(context.Background(), source(t, w), base, nulls, diff.Options{Key: []string{"id"}})
	if err != nil || d.Compared || !strings.Contains(d.KeyNote, "null in 1 rows of head") {
		t.Fatalf("null key in head: %v %+v", err, d)
	}
	missing := head
	missing.Table = "NOPE"
	d, err = diff.Compare(context.Background(), source(t, w), base, missing, diff.Options{Key: []string{"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if !d.BaseExists || d.HeadExists || !d.Changed() {
		t.Fatalf("missing head: %+v", d)
	}
	if _, err := diff.Compare(context.Background(), source(t, w), base, head, diff.Options{Key: []string{"id; DROP"}}); err == nil {
		t.Fatal("a bad key name was accepted")
	}
}

// source is the warehouse as a diff source; every backend is one.
func source(t *testing.T, w warehouse.Warehouse) diff.Source {
	t.Helper()
	s, err := diff.SourceOf(w)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
