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

// WriteTable loads the rows into a raw load table, then replaces the table with
// them (converting lists from JSON) in one grant-keeping statement:
// replaceTable. Small tables are loaded by array binds inline; larger ones (see
// Config.BulkLoadRows) are written as Parquet, PUT to a temporary stage and
// loaded by COPY INTO, as Snowflake's own connectors do (write_pandas). A
// session that expires for good in the middle is replaced by a new sign-in and
// the write starts again (retryGone).
func (w *Warehouse) WriteTable(ctx context.Context, ref warehouse.TableRef, t arrow.Table) error {
	if err := ref.Check(); err != nil {
		return err
	}
	cols, err := warehouse.ColumnsOf(t.Schema())
	if err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	var leftovers []warehouse.TableRef
	err = w.retryGone(ctx, func() error { return w.writeTable(ctx, ref, cols, t, &leftovers) })
	for _, raw := range leftovers { // load tables a dead session could not drop
		_, _ = w.db.ExecContext(context.WithoutCancel(ctx), dropTableSQL(raw))
	}
	return err
}

// writeTable is one attempt of WriteTable, on one session. A load table it
// cannot drop is added to leftovers.
func (w *Warehouse) writeTable(ctx context.Context, ref warehouse.TableRef, cols []warehouse.Column, t arrow.Table, leftovers *[]warehouse.TableRef) error {
	conn, err := w.db.Conn(ctx) // one session: one transaction, one context, its temporary stages
	if err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	defer conn.Close()
	raw := ref
	raw.Table = rawPrefix + ref.Table + "_" + randomSuffix()
	defer func() { // whatever happened, leave no load table behind
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), dropTableSQL(raw)); sessionGone(err) {
			*leftovers = append(*leftovers, raw)
		}
	}()
	if err := w.prepareLoad(ctx, conn, ref, raw, cols); err != nil {
		return err
	}
	if err := w.load(ctx, conn, ref, raw, cols, t); err != nil {
		return err
	}
	if err := replaceTable(ctx, conn, ref, selectConvertedSQL(raw, cols)); err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	return nil
}

// insertRows binds the rows column-wise, BatchRows at a time, in one transaction.
func (w *Warehouse) insertRows(ctx context.Context, conn *sql.Conn, ref warehouse.TableRef, cols []warehouse.Column, t arrow.Table) error {
	// The driver sends ROLLBACK under the context the transaction began with; a
	// cancelled one would leave the transaction open on the pooled session, and
	// the next write's BEGIN would fail inside it. So the transaction lives under
	// a context that is not cancelled, and each statement under ctx.
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
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
	_, scale, _ := ct.DecimalSize()
	return kindOfType(ct.DatabaseTypeName(), scale)
}

// kindOfType maps a Snowflake column type to a column kind.
func kindOfType(typeName string, scale int64) (warehouse.ColumnKind, error) {
	switch name := strings.ToUpper(typeName); name {
	case "FIXED":
		if scale > 0 {
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

// rawPrefix starts the name of every load table a write fills before it
// replaces its target.
const rawPrefix = "_AF_RAW_"
