package snowflake

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/assetflow/assetflow/resources/warehouse"
)

var _ warehouse.Querier = (*Warehouse)(nil)

// Query runs one read-only statement. Snowflake resolves databases itself, so
// the list is not needed.
func (w *Warehouse) Query(ctx context.Context, _ []string, stmt string, args ...any) (*sql.Rows, error) {
	if err := warehouse.CheckReadOnly(stmt); err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("snowflake: %w", err)
	}
	return rows, nil
}
