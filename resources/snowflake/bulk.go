package snowflake

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
	sf "github.com/snowflakedb/gosnowflake"
	"golang.org/x/sync/errgroup"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// bulkLoadValues is where WriteTable switches to Parquet, PUT and COPY INTO
// by default: at 65,280 values (rows x columns), the threshold above which a
// real account has the driver send array binds through a temporary stage
// anyway. From there the bulk load was as fast or faster at every size
// measured (BENCHMARKS.md, "Snowflake bulk-load threshold"), with fewer
// round trips: one PUT per 256 Ki rows and one COPY, against a stage, a PUT
// and an INSERT per batch of binds.
const bulkLoadValues = 65_280

// bulkFileRows bounds the rows of one Parquet file PUT to the stage.
const bulkFileRows = 256 * 1024

func (w *Warehouse) bulk(rows int64, cols int) bool {
	switch n := w.cfg.BulkLoadRows; {
	case n < 0:
		return false
	case n > 0:
		return rows >= int64(n)
	}
	return rows*int64(cols) >= bulkLoadValues
}

// bulkLoad writes the rows as Parquet files, PUTs them to a temporary stage
// of the session and loads them into the raw table with COPY INTO.
func (w *Warehouse) bulkLoad(ctx context.Context, conn *sql.Conn, raw warehouse.TableRef, cols []warehouse.Column, t arrow.Table) error {
	stage := raw
	stage.Table = "_AF_LOAD_" + randomSuffix()
	if _, err := conn.ExecContext(ctx, createStageSQL(stage)); err != nil {
		return fmt.Errorf("create stage: %w", err)
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), dropStageSQL(stage)) }()
	// Encode the next file while the previous one uploads.
	files := make(chan []byte, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(files)
		tr := array.NewTableReader(t, bulkFileRows)
		defer tr.Release()
		for tr.Next() {
			file, err := parquetFile(tr.Record(), cols)
			if err != nil {
				return fmt.Errorf("write Parquet: %w", err)
			}
			select {
			case files <- file:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error {
		n := 0
		for file := range files {
			pctx := sf.WithFileTransferOptions(sf.WithFileStream(gctx, bytes.NewReader(file)),
				&sf.SnowflakeFileTransferOptions{RaisePutGetError: true})
			if _, err := conn.ExecContext(pctx, putSQL(fmt.Sprintf("part_%05d.parquet", n), stage)); err != nil {
				return fmt.Errorf("put: %w", err)
			}
			n++
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, copySQL(raw, stage)); err != nil {
		return fmt.Errorf("copy into: %w", err)
	}
	return nil
}

// parquetFile encodes a record batch as one Parquet file with the raw
// table's columns: lists as JSON text, as array binds send them.
func parquetFile(rec arrow.Record, cols []warehouse.Column) ([]byte, error) {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		col := rec.Column(i)
		if c.Kind == warehouse.Int64List {
			col = listsAsJSON(col.(*array.List))
		} else {
			col.Retain()
		}
		defer col.Release()
		arrs[i] = col
		fields[i] = arrow.Field{Name: c.Name, Type: col.DataType(), Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	out := array.NewRecord(schema, arrs, rec.NumRows())
	defer out.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithAllocator(memory.DefaultAllocator))
	fw, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, err
	}
	if err := fw.Write(out); err != nil {
		fw.Close()
		return nil, err
	}
	if err := fw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// listsAsJSON renders list<int64> values as JSON arrays.
func listsAsJSON(l *array.List) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	values := l.ListValues().(*array.Int64)
	var text []byte
	for i := 0; i < l.Len(); i++ {
		if l.IsNull(i) {
			b.AppendNull()
			continue
		}
		start, end := l.ValueOffsets(i)
		text = append(text[:0], '[')
		for k := start; k < end; k++ {
			if k > start {
				text = append(text, ',')
			}
			text = strconv.AppendInt(text, values.Value(int(k)), 10)
		}
		b.Append(string(append(text, ']')))
	}
	return b.NewArray()
}
