package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/assetflow/assetflow/resources/warehouse"
)

var _ warehouse.Querier = (*Warehouse)(nil)

// Query attaches the named databases (read-only where configured so) and runs
// one read-only statement.
func (w *Warehouse) Query(ctx context.Context, databases []string, stmt string, args ...any) (*sql.Rows, error) {
	if err := warehouse.CheckReadOnly(stmt); err != nil {
		return nil, err
	}
	for _, db := range databases {
		if err := w.attach(ctx, db, false); err != nil {
			return nil, fmt.Errorf("query: %w", err)
		}
	}
	rows, err := w.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("duckdb: %w", err)
	}
	return rows, nil
}
