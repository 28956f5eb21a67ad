package assets

import (
	"sort"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/assetflow/assetflow/assets/hackernews"
	"github.com/assetflow/assetflow/resources/warehouse"
)

// ItemColumns are the columns of the items, comments and stories tables: the
// API's fields, with `by` renamed user_id.
var ItemColumns = []warehouse.Column{
	{Name: "id", Kind: warehouse.Int64}, {Name: "parent", Kind: warehouse.Int64},
	{Name: "time", Kind: warehouse.Timestamp}, {Name: "type", Kind: warehouse.String},
	{Name: "user_id", Kind: warehouse.String}, {Name: "text", Kind: warehouse.String},
	{Name: "kids", Kind: warehouse.Int64List}, {Name: "score", Kind: warehouse.Int64},
	{Name: "title", Kind: warehouse.String}, {Name: "descendants", Kind: warehouse.Int64},
	{Name: "url", Kind: warehouse.String},
}

// ItemSchema is the Arrow schema of ItemColumns.
var ItemSchema = warehouse.SchemaOf(ItemColumns)

// ItemsTable builds the items table: one row per id (the first seen wins),
// sorted by id. Absent fields are null.
func ItemsTable(items []*hackernews.Item) arrow.Table {
	sorted := make([]*hackernews.Item, 0, len(items))
	seen := make(map[int64]bool, len(items))
	for _, it := range items {
		if !seen[it.ID] {
			seen[it.ID] = true
			sorted = append(sorted, it)
		}
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })

	b := array.NewRecordBuilder(memory.DefaultAllocator, ItemSchema)
	defer b.Release()
	id := b.Field(0).(*array.Int64Builder)
	parent := b.Field(1).(*array.Int64Builder)
	ts := b.Field(2).(*array.TimestampBuilder)
	kids := b.Field(6).(*array.ListBuilder)
	kidValues := kids.ValueBuilder().(*array.Int64Builder)
	for _, it := range sorted {
		id.Append(it.ID)
		appendInt(parent, it.Parent)
		if it.Time > 0 {
			ts.Append(arrow.Timestamp(it.Time * 1_000_000))
		} else {
			ts.AppendNull()
		}
		appendString(b.Field(3), it.Type)
		appendString(b.Field(4), it.By)
		appendString(b.Field(5), it.Text)
		if it.Kids == nil {
			kids.AppendNull()
		} else {
			kids.Append(true)
			kidValues.AppendValues(it.Kids, nil)
		}
		appendInt(b.Field(7).(*array.Int64Builder), it.Score)
		appendString(b.Field(8), it.Title)
		appendInt(b.Field(9).(*array.Int64Builder), it.Descendants)
		appendString(b.Field(10), it.URL)
	}
	rec := b.NewRecord()
	defer rec.Release()
	return array.NewTableFromRecords(ItemSchema, []arrow.Record{rec})
}

func appendInt(b *array.Int64Builder, v *int64) {
	if v == nil {
		b.AppendNull()
		return
	}
	b.Append(*v)
}

func appendString(b array.Builder, s string) {
	if s == "" {
		b.AppendNull()
		return
	}
	b.(*array.StringBuilder).Append(s)
}
