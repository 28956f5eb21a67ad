package warehousetest

import (
	"fmt"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// ItemColumns are the columns of the Hacker News items table.
var ItemColumns = []warehouse.Column{
	{Name: "id", Kind: warehouse.Int64}, {Name: "parent", Kind: warehouse.Int64},
	{Name: "time", Kind: warehouse.Timestamp}, {Name: "type", Kind: warehouse.String},
	{Name: "user_id", Kind: warehouse.String}, {Name: "text", Kind: warehouse.String},
	{Name: "kids", Kind: warehouse.Int64List}, {Name: "score", Kind: warehouse.Int64},
	{Name: "title", Kind: warehouse.String}, {Name: "descendants", Kind: warehouse.Int64},
	{Name: "url", Kind: warehouse.String},
}

// Items generates n item-shaped rows (stories and comments alternating), in
// batches of 64Ki rows, for benchmarks.
func Items(n int) arrow.Table {
	schema := warehouse.SchemaOf(ItemColumns)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	var recs []arrow.Record
	base := time.Unix(1160418111, 0)
	for i := 1; i <= n; i++ {
		story := i%2 == 1
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if story {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.Int64Builder).Append(int64(i - 1))
		}
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Second).UnixMicro()))
		kids := b.Field(6).(*array.ListBuilder)
		if story {
			b.Field(3).(*array.StringBuilder).Append("story")
			b.Field(5).AppendNull()
			kids.Append(true)
			kids.ValueBuilder().(*array.Int64Builder).AppendValues([]int64{int64(i + 1), int64(i + 3)}, nil)
			b.Field(7).(*array.Int64Builder).Append(int64(i % 500))
			b.Field(8).(*array.StringBuilder).Append(fmt.Sprintf("Show HN: project number %d", i))
			b.Field(9).(*array.Int64Builder).Append(2)
			b.Field(10).(*array.StringBuilder).Append(fmt.Sprintf("https://example.com/%d", i))
		} else {
			b.Field(3).(*array.StringBuilder).Append("comment")
			b.Field(5).(*array.StringBuilder).Append("I think this is a fine idea &amp; worth trying.")
			kids.AppendNull()
			b.Field(7).AppendNull()
			b.Field(8).AppendNull()
			b.Field(9).AppendNull()
			b.Field(10).AppendNull()
		}
		b.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("user%d", i%997))
		if i%(64*1024) == 0 {
			recs = append(recs, b.NewRecord())
		}
	}
	recs = append(recs, b.NewRecord())
	t := array.NewTableFromRecords(schema, recs)
	for _, r := range recs {
		r.Release()
	}
	return t
}
