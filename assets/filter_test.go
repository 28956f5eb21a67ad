package assets_test

import (
	"context"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"

	"github.com/assetflow/assetflow/assets"
	"github.com/assetflow/assetflow/engine"
	"github.com/assetflow/assetflow/resources/warehouse/warehousetest"
)

// FilterType keeps exactly the rows of the type, in order, across record
// batches, strings and nulls included.
func TestFilterTypeAcrossBatches(t *testing.T) {
	items := warehousetest.Items(150_000) // three record batches
	defer items.Release()
	ctx := &engine.Context{Context: context.Background()}
	for typ, first := range map[string]int64{"comment": 2, "story": 1} {
		out, err := assets.FilterType(ctx, items, typ)
		if err != nil {
			t.Fatal(err)
		}
		if out.NumRows() != 75_000 || !out.Schema().Equal(items.Schema()) {
			t.Fatalf("%s: %d rows, schema %s", typ, out.NumRows(), out.Schema())
		}
		tr := array.NewTableReader(out, 10_000)
		want := first
		for tr.Next() {
			rec := tr.Record()
			for i := 0; i < int(rec.NumRows()); i++ {
				id := rec.Column(0).(*array.Int64).Value(i)
				text := rec.Column(5).(*array.String)
				if id != want || rec.Column(3).(*array.String).Value(i) != typ ||
					(typ == "comment") == text.IsNull(i) || (typ == "comment" && text.Value(i) == "") {
					t.Fatalf("%s: row with id %d (want %d), type %q, text null %v", typ, id, want, rec.Column(3).(*array.String).Value(i), text.IsNull(i))
				}
				want += 2
			}
		}
		tr.Release()
		out.Release()
	}
}
