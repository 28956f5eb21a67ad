package snowflake

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	sf "github.com/snowflakedb/gosnowflake"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// WriteTable inserts the rows, in batches of bound parameters inside one
// transaction, into a raw staging table; converts lists from JSON into a
// staging table of the final types; and swaps that into place.
func (w *Warehouse) WriteTable(ctx context.Context, ref warehouse.TableRef, t arrow.Table) error {
	if err := ref.Check(); err != nil {
		return err
	}
	cols, err := warehouse.ColumnsOf(t.Schema())
	if err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	conn, err := w.db.Conn(ctx) // one session: one transaction, one context
	if err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	defer conn.Close()
	suffix := randomSuffix()
	raw, staging := ref, ref
	raw.Table = "_AF_RAW_" + ref.Table + "_" + suffix
	staging.Table = "_AF_STAGING_" + ref.Table + "_" + suffix
	defer func() { // whatever happened, leave no staging table behind
		bg := context.WithoutCancel(ctx)
		_, _ = conn.ExecContext(bg, dropTableSQL(raw))
		_, _ = conn.ExecContext(bg, dropTableSQL(staging))
	}()
	steps := []string{createSchemaSQL(ref.Database, ref.Schema), createTableSQL(raw, cols, loadType)}
	for _, s := range steps {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("write %s: %w", ref, err)
		}
	}
	if err := w.insertRows(ctx, conn, raw, cols, t); err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	if _, err := conn.ExecContext(ctx, convertSQL(staging, raw, cols)); err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	if err := w.replaceTable(ctx, conn, staging, ref); err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	return nil
}

// replaceTable puts the filled staging table in ref's place in one statement:
// SWAP WITH when ref exists (the old table ends as staging, which the caller
// drops), else a rename. WriteTable and WriteQuery both end here.
func (w *Warehouse) replaceTable(ctx context.Context, conn *sql.Conn, staging, ref warehouse.TableRef) error {
	info, err := w.TableInfo(ctx, ref)
	if err != nil {
		return err
	}
	swap := renameSQL(staging, ref)
	if info.Exists {
		swap = swapSQL(ref, staging)
	}
	if _, err := conn.ExecContext(ctx, swap); err != nil {
		return fmt.Errorf("swap: %w", err)
	}
	return nil
}

// insertRows binds the rows column-wise, BatchRows at a time, in one transaction.
func (w *Warehouse) insertRows(ctx context.Context, conn *sql.Conn, ref warehouse.TableRef, cols []warehouse.Column, t arrow.Table) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt := insertSQL(ref, cols)
	tr := array.NewTableReader(t, int64(w.cfg.BatchRows))
	defer tr.Release()
	for tr.Next() {
		rec := tr.Record()
		args := make([]any, len(cols))
		for c, col := range rec.Columns() {
			args[c] = bindColumn(col, cols[c].Kind)
		}
		if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	return tx.Commit()
}

// columnValues returns a column's values for binding: nulls as nil, lists as
// JSON text (the raw staging table's VARCHAR).
func columnValues(col arrow.Array) []any {
	vals := make([]any, col.Len())
	for i := range vals {
		v := warehouse.Value(col, i)
		if l, ok := v.([]int64); ok {
			b, _ := json.Marshal(l)
			v = string(b)
		}
		vals[i] = v
	}
	return vals
}

// bindColumn turns an Arrow column into one array binding.
func bindColumn(col arrow.Array, kind warehouse.ColumnKind) any {
	vals := columnValues(col)
	if kind == warehouse.Timestamp {
		return sf.Array(&vals, sf.TimestampNTZType)
	}
	return sf.Array(&vals)
}

// ReadTable reads the table back as Arrow with the kinds it was written with.
func (w *Warehouse) ReadTable(ctx context.Context, ref warehouse.TableRef) (arrow.Table, error) {
	if err := ref.Check(); err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, "SELECT * FROM "+ref.Quoted())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	defer rows.Close()
	t, err := warehouse.ReadRows(rows, kindOf, decode)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	return t, nil
}

// decode turns a value as the driver returns it into a value of the kind: the
// JSON row format renders numbers and arrays as text.
func decode(v any, kind warehouse.ColumnKind) (any, error) {
	switch x := v.(type) {
	case string:
		return parseValue(sql.NullString{String: x, Valid: true}, kind)
	case []byte:
		return parseValue(sql.NullString{String: string(x), Valid: true}, kind)
	case time.Time:
		return x.UTC(), nil
	}
	return v, nil
}

func kindOf(ct *sql.ColumnType) (warehouse.ColumnKind, error) {
	switch name := strings.ToUpper(ct.DatabaseTypeName()); name {
	case "FIXED":
		if _, scale, ok := ct.DecimalSize(); ok && scale > 0 {
			return warehouse.Float64, nil
		}
		return warehouse.Int64, nil
	case "REAL":
		return warehouse.Float64, nil
	case "BOOLEAN":
		return warehouse.Bool, nil
	case "TEXT":
		return warehouse.String, nil
	case "TIMESTAMP_NTZ":
		return warehouse.Timestamp, nil
	case "ARRAY":
		return warehouse.Int64List, nil
	default:
		return 0, fmt.Errorf("unsupported Snowflake column type %s", name)
	}
}

// parseValue reads a value scanned as text (the driver renders every type so).
func parseValue(s sql.NullString, kind warehouse.ColumnKind) (any, error) {
	if !s.Valid {
		return nil, nil
	}
	switch kind {
	case warehouse.Int64:
		return strconv.ParseInt(s.String, 10, 64)
	case warehouse.Float64:
		return strconv.ParseFloat(s.String, 64)
	case warehouse.Bool:
		return strconv.ParseBool(s.String)
	case warehouse.Timestamp:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if t, err := time.Parse(layout, s.String); err == nil {
				return t.UTC(), nil
			}
		}
		return nil, fmt.Errorf("timestamp %q", s.String)
	case warehouse.Int64List:
		var l []int64
		if err := json.Unmarshal([]byte(s.String), &l); err != nil {
			return nil, fmt.Errorf("array %q: %w", s.String, err)
		}
		if l == nil {
			l = []int64{}
		}
		return l, nil
	}
	return s.String, nil
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}
