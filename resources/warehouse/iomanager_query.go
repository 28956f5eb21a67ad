package warehouse

import (
	"context"
	"fmt"

	"github.com/assetflow/assetflow/engine"
)

// storeQuery resolves the query's references to this I/O manager's tables and
// has the warehouse write its result into the asset's table. When the query
// fails because an upstream table was never written, the error says which and
// how to make it.
func (m *IOManager) storeQuery(ctx context.Context, asset string, q Query) (engine.Materialization, error) {
	ref := m.Ref(asset)
	sql, err := q.Resolve(m.Ref)
	if err != nil {
		return engine.Materialization{}, err
	}
	shape, err := m.Warehouse.WriteQuery(ctx, ref, sql)
	if err != nil {
		for _, up := range q.Refs() {
			if info, ierr := m.Warehouse.TableInfo(context.WithoutCancel(ctx), m.Ref(up)); ierr == nil && !info.Exists {
				return engine.Materialization{}, fmt.Errorf("%w (table %s of upstream %s does not exist: materialize it first, e.g. run assets --select %s)",
					err, m.Ref(up), up, up)
			}
		}
		return engine.Materialization{}, err
	}
	return engine.Materialization{Location: ref.String(), Rows: shape.Rows, Columns: shape.Columns,
		Metadata: map[string]any{"computed_in": m.Warehouse.Backend(), "sql": sql}}, nil
}
