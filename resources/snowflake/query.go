package snowflake

import (
	"context"
	"fmt"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// WriteQuery replaces ref with what query selects, inside the account, through
// the one grant-keeping replace every writer uses (CREATE OR REPLACE TABLE ...
// COPY GRANTS AS <query>), so no row leaves Snowflake. The statement is all or
// nothing: a failed query leaves the previous table intact. The driver sends
// one statement per request and Snowflake refuses a second one unless asked for
// (MULTI_STATEMENT_COUNT), which this backend never does.
func (w *Warehouse) WriteQuery(ctx context.Context, ref warehouse.TableRef, query string) (warehouse.TableShape, error) {
	if err := ref.Check(); err != nil {
		return warehouse.TableShape{}, err
	}
	query, err := warehouse.CheckQuery(query)
	if err != nil {
		return warehouse.TableShape{}, err
	}
	conn, err := w.db.Conn(ctx) // one session: the schema, the replace and the shape
	if err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, createSchemaSQL(ref.Database, ref.Schema)); err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	if err := replaceTable(ctx, conn, ref, query); err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: query: %w", ref, err)
	}
	var shape warehouse.TableShape
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+ref.Quoted()).Scan(&shape.Rows); err != nil {
		return shape, fmt.Errorf("write %s: count rows: %w", ref, err)
	}
	rows, err := conn.QueryContext(ctx, "SELECT * FROM "+ref.Quoted()+" LIMIT 0")
	if err != nil {
		return shape, fmt.Errorf("write %s: list columns: %w", ref, err)
	}
	shape.Columns, err = rows.Columns()
	rows.Close()
	if err != nil {
		return shape, fmt.Errorf("write %s: list columns: %w", ref, err)
	}
	return shape, nil
}
