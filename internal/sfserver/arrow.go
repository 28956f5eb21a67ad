package sfserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// The Arrow result format, as a real account answers the Go driver: each chunk
// is an Arrow IPC stream; FIXED columns use the smallest integer width that
// holds the chunk's values (SB1..SB8), timestamps are integers scaled by the
// column's scale, ARRAY and VARIANT values are pretty-printed JSON text, and
// each field carries Snowflake's type metadata (logicalType, precision,
// scale, charLength). See gosnowflake arrow_chunk.go and converter.go
// (arrowToValue, arrowToRecord).

// timestampScale is the scale of timestamps the double answers: DuckDB keeps
// microseconds, as TIMESTAMP_NTZ(6).
const timestampScale = 6

// encodeChunk writes rows (values as scanned from DuckDB) as one Arrow IPC
// stream with the given Snowflake row types.
func encodeChunk(types []rowType, rows [][]any) ([]byte, error) {
	mem := memory.DefaultAllocator
	fields := make([]arrow.Field, len(types))
	cols := make([]arrow.Array, len(types))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, rt := range types {
		col, physical, err := buildColumn(mem, rt, rows, i)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", rt.Name, err)
		}
		cols[i] = col
		md := arrow.NewMetadata(
			[]string{"logicalType", "precision", "scale", "charLength", "physicalType", "finalType"},
			[]string{logicalType(rt.Type), strconv.FormatInt(rt.Precision, 10), strconv.FormatInt(rt.Scale, 10),
				strconv.FormatInt(rt.Length, 10), physical, "T"})
		fields[i] = arrow.Field{Name: rt.Name, Type: col.DataType(), Nullable: true, Metadata: md}
	}
	schema := arrow.NewSchema(fields, nil)
	rec := array.NewRecord(schema, cols, int64(len(rows)))
	defer rec.Release()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err := w.Write(rec); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func logicalType(t string) string {
	switch t {
	case "fixed", "real", "text", "boolean", "date", "array", "variant", "object", "binary", "timestamp_ntz", "timestamp_ltz":
		return strings.ToUpper(t)
	}
	return "TEXT"
}

// buildColumn makes column c of rows as Arrow, returning Snowflake's physical
// type name.
func buildColumn(mem memory.Allocator, rt rowType, rows [][]any, c int) (arrow.Array, string, error) {
	switch rt.Type {
	case "fixed":
		return buildFixed(mem, rows, c)
	case "real":
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		for _, r := range rows {
			if r[c] == nil {
				b.AppendNull()
				continue
			}
			f, err := toFloat(r[c])
			if err != nil {
				return nil, "", err
			}
			b.Append(f)
		}
		return b.NewArray(), "DOUBLE", nil
	case "boolean":
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		for _, r := range rows {
			v, ok := r[c].(bool)
			if !ok {
				b.AppendNull()
				continue
			}
			b.Append(v)
		}
		return b.NewArray(), "SB1", nil
	case "timestamp_ntz", "timestamp_ltz":
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for _, r := range rows {
			t, ok := r[c].(time.Time)
			if !ok {
				b.AppendNull()
				continue
			}
			b.Append(t.UnixMicro()) // scale 6: epoch x 10^6
		}
		return b.NewArray(), "SB8", nil
	case "date":
		b := array.NewDate32Builder(mem)
		defer b.Release()
		for _, r := range rows {
			t, ok := r[c].(time.Time)
			if !ok {
				b.AppendNull()
				continue
			}
			b.Append(arrow.Date32FromTime(t))
		}
		return b.NewArray(), "SB4", nil
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for _, r := range rows {
		if r[c] == nil {
			b.AppendNull()
			continue
		}
		if rt.Type == "array" || rt.Type == "variant" || rt.Type == "object" {
			s, err := prettyJSON(r[c])
			if err != nil {
				return nil, "", err
			}
			b.Append(s)
			continue
		}
		b.Append(*encode(r[c]))
	}
	return b.NewArray(), "LOB", nil
}

// buildFixed picks the narrowest integer type that holds every value.
func buildFixed(mem memory.Allocator, rows [][]any, c int) (arrow.Array, string, error) {
	vals := make([]int64, len(rows))
	valid := make([]bool, len(rows))
	lo, hi := int64(0), int64(0)
	for i, r := range rows {
		if r[c] == nil {
			continue
		}
		n, err := toInt(r[c])
		if err != nil {
			return nil, "", err
		}
		vals[i], valid[i] = n, true
		lo, hi = min(lo, n), max(hi, n)
	}
	switch {
	case lo >= math.MinInt8 && hi <= math.MaxInt8:
		b := array.NewInt8Builder(mem)
		defer b.Release()
		for i, v := range vals {
			appendOrNull(b, valid[i], func() { b.Append(int8(v)) })
		}
		return b.NewArray(), "SB1", nil
	case lo >= math.MinInt16 && hi <= math.MaxInt16:
		b := array.NewInt16Builder(mem)
		defer b.Release()
		for i, v := range vals {
			appendOrNull(b, valid[i], func() { b.Append(int16(v)) })
		}
		return b.NewArray(), "SB2", nil
	case lo >= math.MinInt32 && hi <= math.MaxInt32:
		b := array.NewInt32Builder(mem)
		defer b.Release()
		for i, v := range vals {
			appendOrNull(b, valid[i], func() { b.Append(int32(v)) })
		}
		return b.NewArray(), "SB4", nil
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray(), "SB8", nil
}

func appendOrNull(b array.Builder, valid bool, add func()) {
	if valid {
		add()
	} else {
		b.AppendNull()
	}
}

func toInt(v any) (int64, error) {
	switch n := v.(type) {
	case int64:
		return n, nil
	case int32:
		return int64(n), nil
	case int16:
		return int64(n), nil
	case int8:
		return int64(n), nil
	case int:
		return int64(n), nil
	case uint8:
		return int64(n), nil
	case uint16:
		return int64(n), nil
	case uint32:
		return int64(n), nil
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), nil
		}
	}
	return strconv.ParseInt(*encode(v), 10, 64)
}

func toFloat(v any) (float64, error) {
	switch f := v.(type) {
	case float64:
		return f, nil
	case float32:
		return float64(f), nil
	case interface{ Float64() float64 }: // DuckDB's Decimal
		return f.Float64(), nil
	}
	return strconv.ParseFloat(*encode(v), 64)
}

// prettyJSON renders a JSON value as Snowflake prints ARRAY and VARIANT
// values: indented by two spaces.
func prettyJSON(v any) (string, error) {
	var parsed any
	var text []byte
	switch x := v.(type) {
	case string:
		text = []byte(x)
	case []byte:
		text = x
	default:
		parsed = x
	}
	if text != nil {
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber() // keep 64-bit integers exact
		if err := dec.Decode(&parsed); err != nil {
			return "", err
		}
	}
	b, err := json.MarshalIndent(parsed, "", "  ")
	return string(b), err
}
