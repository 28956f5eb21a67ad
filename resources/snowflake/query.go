package snowflake

import (
	"context"
	"fmt"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// WriteQuery runs CREATE TABLE <staging> AS <query> in the account and swaps the
// staging table into place with the same replace as WriteTable, so no row
// leaves Snowflake. A failed query leaves the previous table intact. The driver
// sends one statement per request and Snowflake refuses a second one unless
// asked for (MULTI_STATEMENT_COUNT), which this backend never does.
func (w *Warehouse) WriteQuery(ctx context.Context, ref warehouse.TableRef, query string) (warehouse.TableShape, error) {
	if err := ref.Check(); err != nil {
		return warehouse.TableShape{}, err
	}
	query, err := warehouse.CheckQuery(query)
	if err != nil {
		return warehouse.TableShape{}, err
	}
	conn, err := w.db.Conn(ctx) // one session: the staging table and the swap
	if err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	defer conn.Close()
	staging := ref
	staging.Table = "_AF_STAGING_" + ref.Table + "_" + randomSuffix()
	defer func() { // after a swap this drops the previous table; after a failure, ours
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), dropTableSQL(staging))
	}()
	if _, err := conn.ExecContext(ctx, createSchemaSQL(ref.Database, ref.Schema)); err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	if _, err := conn.ExecContext(ctx, createTableAsSQL(staging, query)); err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: query: %w", ref, err)
	}
	var shape warehouse.TableShape
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+staging.Quoted()).Scan(&shape.Rows); err != nil {
		return shape, fmt.Errorf("write %s: count rows: %w", ref, err)
	}
	rows, err := conn.QueryContext(ctx, "SELECT * FROM "+staging.Quoted()+" LIMIT 0")
	if err != nil {
		return shape, fmt.Errorf("write %s: list columns: %w", ref, err)
	}
	shape.Columns, err = rows.Columns()
	rows.Close()
	if err != nil {
		return shape, fmt.Errorf("write %s: list columns: %w", ref, err)
	}
	if err := w.replaceTable(ctx, conn, staging, ref); err != nil {
		return warehouse.TableShape{}, fmt.Errorf("write %s: %w", ref, err)
	}
	return shape, nil
}
