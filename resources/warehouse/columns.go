package warehouse

import (
	"fmt"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// ColumnKind is one of the column types assets store. Backends map each to their
// SQL type and back, so a table reads back with the schema it was written with.
type ColumnKind int

// The supported column kinds.
const (
	Int64 ColumnKind = iota + 1
	Float64
	Bool
	String
	Timestamp // microseconds, UTC, no zone
	Int64List
)

// Timestamps are stored with microsecond precision, as both backends keep them.
var timestampType = &arrow.TimestampType{Unit: arrow.Microsecond}

// KindOf maps an Arrow type to its column kind.
func KindOf(dt arrow.DataType) (ColumnKind, error) {
	switch t := dt.(type) {
	case *arrow.Int64Type:
		return Int64, nil
	case *arrow.Float64Type:
		return Float64, nil
	case *arrow.BooleanType:
		return Bool, nil
	case *arrow.StringType:
		return String, nil
	case *arrow.TimestampType:
		if t.Unit == arrow.Microsecond && t.TimeZone == "" {
			return Timestamp, nil
		}
	case *arrow.ListType:
		if t.Elem().ID() == arrow.INT64 {
			return Int64List, nil
		}
	}
	return 0, fmt.Errorf("unsupported column type %s: expected int64, float64, bool, utf8, timestamp[us] or list<int64>", dt)
}

// ArrowType returns the Arrow type of a kind.
func (k ColumnKind) ArrowType() arrow.DataType {
	switch k {
	case Int64:
		return arrow.PrimitiveTypes.Int64
	case Float64:
		return arrow.PrimitiveTypes.Float64
	case Bool:
		return arrow.FixedWidthTypes.Boolean
	case String:
		return arrow.BinaryTypes.String
	case Timestamp:
		return timestampType
	case Int64List:
		return arrow.ListOf(arrow.PrimitiveTypes.Int64)
	}
	panic(fmt.Sprintf("unknown column kind %d", k))
}

// Column is a named, typed column of a stored table.
type Column struct {
	Name string
	Kind ColumnKind
}

// ColumnsOf returns a table's columns, validating names and types.
func ColumnsOf(s *arrow.Schema) ([]Column, error) {
	cols := make([]Column, s.NumFields())
	for i, f := range s.Fields() {
		if err := CheckIdent("column", f.Name); err != nil {
			return nil, err
		}
		k, err := KindOf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		cols[i] = Column{Name: f.Name, Kind: k}
	}
	return cols, nil
}

// SchemaOf builds the Arrow schema of columns, all nullable.
func SchemaOf(cols []Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Kind.ArrowType(), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// Value returns row i of an Arrow column as a Go value for a database driver: nil
// for null, int64, float64, bool, string, time.Time (UTC) or []int64.
func Value(col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch c := col.(type) {
	case *array.Int64:
		return c.Value(i)
	case *array.Float64:
		return c.Value(i)
	case *array.Boolean:
		return c.Value(i)
	case *array.String:
		return c.Value(i)
	case *array.Timestamp:
		return time.UnixMicro(int64(c.Value(i))).UTC()
	case *array.List:
		start, end := c.ValueOffsets(i)
		values := c.ListValues().(*array.Int64)
		out := make([]int64, end-start)
		for k := range out {
			out[k] = values.Value(int(start) + k)
		}
		return out
	}
	panic(fmt.Sprintf("unsupported column %T", col))
}

// TableBuilder collects rows read from a database into an Arrow table.
type TableBuilder struct {
	cols []Column
	rb   *array.RecordBuilder
	recs []arrow.Record
	rows int
}

// NewTableBuilder starts a table with the given columns.
func NewTableBuilder(cols []Column) *TableBuilder {
	return &TableBuilder{cols: cols, rb: array.NewRecordBuilder(memory.DefaultAllocator, SchemaOf(cols))}
}

// batchRows bounds the rows per record batch while reading.
const batchRows = 64 * 1024

// Append adds one row of scanned values: nil, integers, floats, bools, strings,
// time.Time, or lists ([]any of integers, or []int64).
func (b *TableBuilder) Append(row []any) error {
	for i, v := range row {
		if err := appendValue(b.rb.Field(i), b.cols[i], v); err != nil {
			return err
		}
	}
	if b.rows++; b.rows%batchRows == 0 {
		b.recs = append(b.recs, b.rb.NewRecord())
	}
	return nil
}

// Table returns the rows appended so far and releases the builder.
func (b *TableBuilder) Table() arrow.Table {
	b.recs = append(b.recs, b.rb.NewRecord())
	t := array.NewTableFromRecords(b.rb.Schema(), b.recs)
	b.Release()
	return t
}

// Release frees the builder and any batch not yet handed out.
func (b *TableBuilder) Release() {
	for _, r := range b.recs {
		r.Release()
	}
	b.recs = nil
	b.rb.Release()
}

func appendValue(fb array.Builder, col Column, v any) error {
	if v == nil {
		fb.AppendNull()
		return nil
	}
	bad := func() error { return fmt.Errorf("column %s: cannot store %T as %s", col.Name, v, col.Kind.ArrowType()) }
	switch b := fb.(type) {
	case *array.Int64Builder:
		n, ok := asInt64(v)
		if !ok {
			return bad()
		}
		b.Append(n)
	case *array.Float64Builder:
		switch f := v.(type) {
		case float64:
			b.Append(f)
		case float32:
			b.Append(float64(f))
		default:
			return bad()
		}
	case *array.BooleanBuilder:
		f, ok := v.(bool)
		if !ok {
			return bad()
		}
		b.Append(f)
	case *array.StringBuilder:
		switch s := v.(type) {
		case string:
			b.Append(s)
		case []byte:
			b.Append(string(s))
		default:
			return bad()
		}
	case *array.TimestampBuilder:
		t, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		b.Append(arrow.Timestamp(t.UnixMicro()))
	case *array.ListBuilder:
		vb := b.ValueBuilder().(*array.Int64Builder)
		b.Append(true)
		switch l := v.(type) {
		case []int64:
			vb.AppendValues(l, nil)
		case []any:
			for _, e := range l {
				n, ok := asInt64(e)
				if !ok {
					return bad()
				}
				vb.Append(n)
			}
		default:
			return bad()
		}
	default:
		return bad()
	}
	return nil
}

func asInt64(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int32:
		return int64(n), true
	case int:
		return int64(n), true
	case int16:
		return int64(n), true
	case int8:
		return int64(n), true
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	}
	return 0, false
}
