//go:build cgo

package duckdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	duckdb "github.com/duckdb/duckdb-go/v2"
	"golang.org/x/sync/errgroup"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// writtenPrefix starts the comment a write leaves on its table, followed by the
// time of the write.
const writtenPrefix = "assetflow: written at "

// WrittenComment is the table comment that records a write at t. It holds no
// quote, so it can stand in an SQL literal as it is.
func WrittenComment(t time.Time) string { return writtenPrefix + t.UTC().Format(time.RFC3339Nano) }

// stagingPrefix starts the name of every staging table; leftovers of a killed
// process are removed by the next write of the same table.
const stagingPrefix = "_af_staging_"

// sqlType maps a column kind to DuckDB's type.
func sqlType(k warehouse.ColumnKind) string {
	switch k {
	case warehouse.Int64:
		return "BIGINT"
	case warehouse.Float64:
		return "DOUBLE"
	case warehouse.Bool:
		return "BOOLEAN"
	case warehouse.String:
		return "VARCHAR"
	case warehouse.Timestamp:
		return "TIMESTAMP"
	case warehouse.Int64List:
		return "BIGINT[]"
	}
	panic(fmt.Sprintf("unknown column kind %d", k))
}

// kindOf maps DuckDB's type name back to a column kind.
func kindOf(typeName string) (warehouse.ColumnKind, error) {
	switch typeName {
	case "BIGINT", "INTEGER", "SMALLINT", "TINYINT":
		return warehouse.Int64, nil
	case "DOUBLE", "FLOAT":
		return warehouse.Float64, nil
	case "BOOLEAN":
		return warehouse.Bool, nil
	case "VARCHAR":
		return warehouse.String, nil
	case "TIMESTAMP":
		return warehouse.Timestamp, nil
	case "BIGINT[]", "INTEGER[]":
		return warehouse.Int64List, nil
	}
	return 0, fmt.Errorf("unsupported DuckDB column type %s", typeName)
}

// WriteTable fills a staging table through DuckDB's appender and swaps it into
// place in one transaction.
func (w *Warehouse) WriteTable(ctx context.Context, ref warehouse.TableRef, t arrow.Table) error {
	if err := ref.Check(); err != nil {
		return err
	}
	cols, err := warehouse.ColumnsOf(t.Schema())
	if err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	if err := w.attach(ctx, ref.Database, true); err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	defer conn.Close()
	staging, err := prepareStaging(ctx, conn, ref)
	if err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	colDefs := make([]string, len(cols))
	for i, c := range cols {
		colDefs[i] = warehouse.Quote(c.Name) + " " + sqlType(c.Kind)
	}
	defs := strings.Join(colDefs, ", ")
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (%s)", staging.Quoted(), defs)); err != nil {
		return fmt.Errorf("write %s: create staging table: %w", ref, err)
	}
	swapped := false
	defer func() {
		if !swapped { // leave the previous table as it was; drop our staging table
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+staging.Quoted())
		}
	}()
	if err := w.loadRows(ctx, staging, t); err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	if err := w.replaceTable(ctx, conn, staging, ref); err != nil {
		return fmt.Errorf("write %s: %w", ref, err)
	}
	swapped = true
	return nil
}

// prepareStaging creates ref's schema if needed, removes staging tables a
// killed process left, and names a fresh staging table beside ref.
func prepareStaging(ctx context.Context, conn *sql.Conn, ref warehouse.TableRef) (warehouse.TableRef, error) {
	schema := warehouse.Quote(ref.Database) + "." + warehouse.Quote(ref.Schema)
	if _, err := conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return ref, fmt.Errorf("create schema: %w", err)
	}
	if err := dropStaleStaging(ctx, conn, ref); err != nil {
		return ref, err
	}
	staging := ref
	staging.Table = stagingPrefix + ref.Table + "_" + randomSuffix()
	return staging, nil
}

// replaceTable puts the filled staging table in ref's place in one
// transaction, so readers see the old table or the new one, never neither, and
// stamps the time of the write. WriteTable and WriteQuery both end here.
func (w *Warehouse) replaceTable(ctx context.Context, conn *sql.Conn, staging, ref warehouse.TableRef) error {
	if w.beforeSwap != nil {
		if err := w.beforeSwap(); err != nil {
			return err
		}
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+ref.Quoted()); err != nil {
		return fmt.Errorf("swap: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", staging.Quoted(), warehouse.Quote(ref.Table))); err != nil {
		return fmt.Errorf("swap: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("COMMENT ON TABLE %s IS %s", ref.Quoted(), literal(WrittenComment(time.Now())))); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// loadRows fills the staging table through DuckDB's appender. The appender
// crosses into C for most values, so the batches are split into contiguous runs,
// one per core, each appended on its own connection in its own transaction. The
// transactions commit in run order, so the table keeps the rows' order.
func (w *Warehouse) loadRows(ctx context.Context, staging warehouse.TableRef, t arrow.Table) error {
	tr := array.NewTableReader(t, 32*1024)
	defer tr.Release()
	var batches []arrow.Record
	for tr.Next() {
		rec := tr.Record()
		rec.Retain()
		batches = append(batches, rec)
	}
	defer func() {
		for _, r := range batches {
			r.Release()
		}
	}()
	parts := min(runtime.GOMAXPROCS(0), max(len(batches), 1))
	if t.NumRows() < 64*1024 {
		parts = 1
	}
	// turns[i] closes when part i may commit: after part i-1 committed.
	turns := make([]chan struct{}, parts+1)
	for i := range turns {
		turns[i] = make(chan struct{})
	}
	close(turns[0])
	g, gctx := errgroup.WithContext(ctx)
	per := (len(batches) + parts - 1) / parts
	for i := 0; i < parts; i++ {
		lo, hi := min(i*per, len(batches)), min((i+1)*per, len(batches))
		g.Go(func() error { return w.appendBatches(gctx, staging, batches[lo:hi], turns[i], turns[i+1]) })
	}
	return g.Wait()
}

// appendBatches appends record batches to a table on a connection of its own,
// in one transaction that commits once turn is closed; then it closes done.
func (w *Warehouse) appendBatches(ctx context.Context, ref warehouse.TableRef, batches []arrow.Record, turn <-chan struct{}, done chan<- struct{}) error {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), ref.Database, ref.Schema, ref.Table)
		if err != nil {
			return fmt.Errorf("appender: %w", err)
		}
		for _, rec := range batches {
			if err := ctx.Err(); err != nil {
				app.Close()
				return err
			}
			cols := rec.Columns()
			row := make([]driver.Value, len(cols))
			for i := 0; i < int(rec.NumRows()); i++ {
				for c, col := range cols {
					row[c] = warehouse.Value(col, i)
				}
				if err := app.AppendRow(row...); err != nil {
					app.Close()
					return fmt.Errorf("append row: %w", err)
				}
			}
		}
		if err := app.Close(); err != nil {
			return fmt.Errorf("appender: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	select {
	case <-turn:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit rows: %w", err)
	}
	close(done)
	return nil
}

// dropStaleStaging removes staging tables of ref that a killed process left.
func dropStaleStaging(ctx context.Context, conn *sql.Conn, ref warehouse.TableRef) error {
	rows, err := conn.QueryContext(ctx, `SELECT table_name FROM duckdb_tables()
		WHERE database_name = ? AND schema_name = ? AND starts_with(table_name, ?)`,
		ref.Database, ref.Schema, stagingPrefix+ref.Table+"_")
	if err != nil {
		return fmt.Errorf("list staging tables: %w", err)
	}
	var stale []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		stale = append(stale, name)
	}
	rows.Close()
	for _, name := range stale {
		s := ref
		s.Table = name
		if s.Check() != nil {
			continue
		}
		if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+s.Quoted()); err != nil {
			return fmt.Errorf("drop stale %s: %w", s, err)
		}
	}
	return nil
}

// ReadTable reads the table back with the schema it was written with.
func (w *Warehouse) ReadTable(ctx context.Context, ref warehouse.TableRef) (arrow.Table, error) {
	if err := ref.Check(); err != nil {
		return nil, err
	}
	if err := w.attach(ctx, ref.Database, false); err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	rows, err := w.db.QueryContext(ctx, "SELECT * FROM "+ref.Quoted())
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	defer rows.Close()
	t, err := warehouse.ReadRows(rows, func(ct *sql.ColumnType) (warehouse.ColumnKind, error) { return kindOf(ct.DatabaseTypeName()) }, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ref, err)
	}
	return t, nil
}

// TableInfo tells whether the table exists and counts its rows.
func (w *Warehouse) TableInfo(ctx context.Context, ref warehouse.TableRef) (warehouse.TableInfo, error) {
	if err := ref.Check(); err != nil {
		return warehouse.TableInfo{}, err
	}
	if path, _ := w.Path(ref.Database); !fileExists(path) {
		return warehouse.TableInfo{}, nil
	}
	if err := w.attach(ctx, ref.Database, false); err != nil {
		return warehouse.TableInfo{}, fmt.Errorf("inspect %s: %w", ref, err)
	}
	var comment sql.NullString
	err := w.db.QueryRowContext(ctx, `SELECT comment FROM duckdb_tables()
		WHERE database_name = ? AND schema_name = ? AND table_name = ?`, ref.Database, ref.Schema, ref.Table).Scan(&comment)
	if errors.Is(err, sql.ErrNoRows) {
		return warehouse.TableInfo{}, nil
	}
	if err != nil {
		return warehouse.TableInfo{}, fmt.Errorf("inspect %s: %w", ref, err)
	}
	info := warehouse.TableInfo{Exists: true}
	if stamp, ok := strings.CutPrefix(comment.String, writtenPrefix); ok {
		info.Modified, _ = time.Parse(time.RFC3339Nano, stamp)
	}
	if err := w.db.QueryRowContext(ctx, "SELECT count(*) FROM "+ref.Quoted()).Scan(&info.Rows); err != nil {
		return warehouse.TableInfo{}, fmt.Errorf("count %s: %w", ref, err)
	}
	return info, nil
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
