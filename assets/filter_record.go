package assets

import (
	"context"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/compute"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// filterRecord keeps the rows of rec where mask is true (null counts as
// false). Arrow Go v15's filter and take kernels grow a string column's data
// buffer in small steps, which took seconds for 64Ki comment texts, so string
// columns are filtered here with their data reserved at once; other columns go
// through the compute kernel. The caller releases the result.
func filterRecord(ctx context.Context, rec arrow.Record, mask *array.Boolean) (arrow.Record, error) {
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	n := int64(0)
	for i := 0; i < mask.Len(); i++ {
		if mask.IsValid(i) && mask.Value(i) {
			n++
		}
	}
	for c, col := range rec.Columns() {
		if s, ok := col.(*array.String); ok {
			cols[c] = filterStrings(s, mask)
			continue
		}
		out, err := compute.FilterArray(ctx, col, mask, *compute.DefaultFilterOptions())
		if err != nil {
			return nil, err
		}
		cols[c] = out
	}
	return array.NewRecord(rec.Schema(), cols, n), nil
}

// filterStrings copies the kept strings into one builder sized beforehand.
func filterStrings(col *array.String, mask *array.Boolean) arrow.Array {
	keep := func(i int) bool { return mask.IsValid(i) && mask.Value(i) }
	rows, size := 0, 0
	for i := 0; i < col.Len(); i++ {
		if keep(i) {
			rows++
			size += col.ValueLen(i)
		}
	}
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(rows)
	b.ReserveData(size)
	for i := 0; i < col.Len(); i++ {
		switch {
		case !keep(i):
		case col.IsNull(i):
			b.AppendNull()
		default:
			b.Append(col.Value(i))
		}
	}
	return b.NewArray()
}
