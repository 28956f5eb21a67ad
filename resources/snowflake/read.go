package snowflake

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/compute"
	"github.com/apache/arrow/go/v15/arrow/memory"
	sf "github.com/snowflakedb/gosnowflake"
	"golang.org/x/sync/errgroup"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// fetchParallel bounds the result chunks downloaded at once.
const fetchParallel = 4

// ReadTable reads the table as Arrow record batches, straight from the
// driver's Arrow result chunks into the asset table, ordered by the table's
// key: its first column, as assets put their key first. Snowflake returns
// rows in no fixed order without ORDER BY.
func (w *Warehouse) ReadTable(ctx context.Context, ref warehouse.TableRef) (arrow.Table, error) {
	if err := ref.Check(); err != nil {
		return nil, err
	}
	var t arrow.Table
	err := w.retryGone(ctx, func() error {
		var err error
		t, err = w.readTable(ctx, ref)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	return t, nil
}

// readTable is one attempt of ReadTable, on one session.
func (w *Warehouse) readTable(ctx context.Context, ref warehouse.TableRef) (arrow.Table, error) {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var t arrow.Table
	err = conn.Raw(func(dc any) error {
		var err error
		t, err = readArrow(ctx, dc, readSQL(ref))
		return err
	})
	if errors.Is(err, errNotArrow) {
		t, err = w.readRows(ctx, ref) // an account that answers in JSON
	}
	return t, err
}

// errNotArrow means the answer held rows but no Arrow batches.
var errNotArrow = errors.New("the account answered in JSON, not Arrow")

func readSQL(ref warehouse.TableRef) string { return "SELECT * FROM " + ref.Quoted() + " ORDER BY 1" }

// readArrow runs a query on a driver connection with Arrow batches and
// converts each record batch, column by column, to the asset kinds.
func readArrow(ctx context.Context, dc any, query string) (arrow.Table, error) {
	qc, ok := dc.(driver.QueryerContext)
	if !ok {
		return nil, fmt.Errorf("driver connection %T cannot query", dc)
	}
	actx := sf.WithArrowBatchesTimestampOption(sf.WithArrowBatches(ctx), sf.UseMicrosecondTimestamp)
	rows, err := qc.QueryContext(actx, query, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := columnsOf(rows)
	if err != nil {
		return nil, err
	}
	sfRows, ok := rows.(sf.SnowflakeRows)
	if !ok {
		return nil, fmt.Errorf("driver rows %T give no Arrow batches", rows)
	}
	batches, err := sfRows.GetArrowBatches()
	if err != nil {
		return nil, err
	}
	parts := make([][]arrow.Record, len(batches))
	release := func() {
		for _, p := range parts {
			for _, r := range p {
				r.Release()
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(fetchParallel)
	for i, b := range batches {
		g.Go(func() error {
			recs, err := b.WithContext(gctx).Fetch()
			if err != nil {
				return fmt.Errorf("result chunk %d: %w", i, err)
			}
			for _, rec := range *recs {
				conv, err := toAssetRecord(gctx, rec, cols)
				rec.Release()
				if err != nil {
					return err
				}
				parts[i] = append(parts[i], conv)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		release()
		return nil, err
	}
	var recs []arrow.Record
	for _, p := range parts {
		recs = append(recs, p...)
	}
	if len(batches) == 0 {
		if err := emptyOrNotArrow(ctx, qc, query); err != nil {
			return nil, err
		}
	}
	t := array.NewTableFromRecords(warehouse.SchemaOf(cols), recs)
	release()
	return t, nil
}

// emptyOrNotArrow tells an empty Arrow answer (no batches) from a JSON one,
// which the driver's Arrow batches cannot show.
func emptyOrNotArrow(ctx context.Context, qc driver.QueryerContext, query string) error {
	rows, err := qc.QueryContext(ctx, "SELECT COUNT(*) FROM ("+query+")", nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		return err
	}
	if n, _ := asCount(dest[0]); n > 0 {
		return errNotArrow
	}
	return nil
}

func asCount(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case string:
		var x int64
		_, err := fmt.Sscan(n, &x)
		return x, err == nil
	}
	return 0, false
}

// columnsOf reads the result's columns and kinds from the driver's row types.
func columnsOf(rows driver.Rows) ([]warehouse.Column, error) {
	names := rows.Columns()
	typed, ok := rows.(driver.RowsColumnTypeDatabaseTypeName)
	if !ok {
		return nil, fmt.Errorf("driver rows %T give no column types", rows)
	}
	scaled, _ := rows.(driver.RowsColumnTypePrecisionScale)
	cols := make([]warehouse.Column, len(names))
	for i, name := range names {
		var scale int64
		if scaled != nil {
			_, scale, _ = scaled.ColumnTypePrecisionScale(i)
		}
		k, err := kindOfType(typed.ColumnTypeDatabaseTypeName(i), scale)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", name, err)
		}
		cols[i] = warehouse.Column{Name: name, Kind: k}
	}
	return cols, nil
}

// toAssetRecord converts one record batch as the driver gives it to the asset
// kinds, a column at a time: integers narrower than 64 bits are cast, ARRAY
// columns (JSON text) are decoded by Arrow's JSON reader.
func toAssetRecord(ctx context.Context, rec arrow.Record, cols []warehouse.Column) (arrow.Record, error) {
	out := make([]arrow.Array, len(cols))
	defer func() {
		for _, a := range out {
			if a != nil {
				a.Release()
			}
		}
	}()
	for i, c := range cols {
		col := rec.Column(i)
		want := c.Kind.ArrowType()
		switch {
		case arrow.TypeEqual(col.DataType(), want):
			col.Retain()
			out[i] = col
		case c.Kind == warehouse.Int64List:
			a, err := listFromJSON(col)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", c.Name, err)
			}
			out[i] = a
		default:
			a, err := compute.CastArray(ctx, col, compute.SafeCastOptions(want))
			if err != nil {
				return nil, fmt.Errorf("column %s: %s as %s: %w", c.Name, col.DataType(), want, err)
			}
			out[i] = a
		}
	}
	return array.NewRecord(warehouse.SchemaOf(cols), out, rec.NumRows()), nil
}

// listFromJSON decodes a column of JSON arrays of integers (Snowflake prints
// ARRAY values as JSON text) into list<int64>.
func listFromJSON(col arrow.Array) (arrow.Array, error) {
	s, ok := col.(*array.String)
	if !ok {
		return nil, fmt.Errorf("ARRAY column arrived as %s, expected JSON text", col.DataType())
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < s.Len(); i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		if s.IsNull(i) {
			b.WriteString("null")
		} else {
			b.WriteString(s.Value(i))
		}
	}
	b.WriteByte(']')
	a, _, err := array.FromJSON(memory.DefaultAllocator, arrow.ListOf(arrow.PrimitiveTypes.Int64), strings.NewReader(b.String()))
	return a, err
}

// readRows is the row-by-row scan, for an account that answers in JSON.
func (w *Warehouse) readRows(ctx context.Context, ref warehouse.TableRef) (arrow.Table, error) {
	rows, err := w.db.QueryContext(ctx, readSQL(ref))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return ReadRows(rows)
}

// ReadRows decodes a result of this driver row by row into an asset table: the
// path for an account that answers in JSON, and the baseline the Arrow batches
// are measured against.
func ReadRows(rows *sql.Rows) (arrow.Table, error) {
	return warehouse.ReadRows(rows, kindOf, decode)
}
