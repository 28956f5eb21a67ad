package duckdb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// WriteQuery runs CREATE TABLE <staging> AS <query> inside DuckDB and swaps the
// staging table into place with the same replace as WriteTable. No row passes
// through Go; a failed query drops its staging table and leaves the previous
// table as it was.
func (w *Warehouse) WriteQuery(ctx context.Context, ref warehouse.TableRef, query string) (warehouse.TableShape, error) {
	if err := ref.Check(); err != nil {
		return warehouse.TableShape{}, err
	}
	query, err := warehouse.CheckQuery(query)
	if err != nil {
		return warehouse.TableShape{}, err
	}
	if err := w.attach(ctx, ref.Database, true); err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	defer conn.Close()
	if err := oneSelect(ctx, conn, query); err != nil {
		return warehouse.TableShape{}, err
	}
	staging, err := prepareStaging(ctx, conn, ref)
	if err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE "+staging.Quoted()+" AS "+query); err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+staging.Quoted())
		return warehouse.TableShape{}, fmt.Errorf("write %s: query: %w", ref, err)
	}
	swapped := false
	defer func() {
		if !swapped {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+staging.Quoted())
		}
	}()
	shape, err := tableShape(ctx, conn, staging)
	if err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	if err := w.replaceTable(ctx, conn, staging, ref); err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	swapped = true
	return shape, nil
}

// oneSelect asks DuckDB's own parser whether the text is exactly one SELECT:
// DuckDB would otherwise run every statement of "SELECT 1; DROP TABLE t".
func oneSelect(ctx context.Context, conn *sql.Conn, query string) error {
	var parsed string
	if err := conn.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", query).Scan(&parsed); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	var tree struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(parsed), &tree); err != nil {
		return fmt.Errorf("parse query: %w", err)
	}
	switch {
	case tree.Error:
		return &warehouse.QueryError{Query: query, Reason: tree.Message}
	case len(tree.Statements) != 1:
		return &warehouse.QueryError{Query: query, Reason: fmt.Sprintf("%d statements: expected exactly one SELECT", len(tree.Statements))}
	}
	return nil
}

// tableShape counts a table's rows and lists its columns in order.
func tableShape(ctx context.Context, conn *sql.Conn, ref warehouse.TableRef) (warehouse.TableShape, error) {
	var shape warehouse.TableShape
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+ref.Quoted()).Scan(&shape.Rows); err != nil {
		return shape, fmt.Errorf("count rows: %w", err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT column_name FROM duckdb_columns()
		WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index`, ref.Database, ref.Schema, ref.Table)
	if err != nil {
		return shape, fmt.Errorf("list columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return shape, err
		}
		shape.Columns = append(shape.Columns, name)
	}
	return shape, rows.Err()
}
