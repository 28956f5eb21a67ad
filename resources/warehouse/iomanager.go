package warehouse

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"

	"github.com/assetflow/assetflow/engine"
)

// IOManager stores each asset's Arrow table as DATABASE.SCHEMA.<ASSET NAME IN
// UPPER CASE> in a warehouse, and loads it back as Arrow.
type IOManager struct {
	Warehouse Warehouse
	Database  string
	Schema    string
}

var _ engine.IOManager = (*IOManager)(nil)

// Ref returns the table an asset is stored in.
func (m *IOManager) Ref(asset string) TableRef {
	return TableRef{Database: m.Database, Schema: m.Schema, Table: strings.ToUpper(asset)}
}

// Store writes value atomically: an arrow.Table's rows, or a Query's result,
// which the warehouse computes itself.
func (m *IOManager) Store(ctx context.Context, asset string, value any) (engine.Materialization, error) {
	if q, ok := value.(Query); ok {
		return m.storeQuery(ctx, asset, q)
	}
	t, ok := value.(arrow.Table)
	if !ok {
		return engine.Materialization{}, fmt.Errorf("asset %s returned %T; the warehouse I/O manager stores arrow.Table or a SQL query", asset, value)
	}
	ref := m.Ref(asset)
	if err := m.Warehouse.WriteTable(ctx, ref, t); err != nil {
		return engine.Materialization{}, err
	}
	cols := make([]string, t.NumCols())
	for i := range cols {
		cols[i] = t.Schema().Field(i).Name
	}
	return engine.Materialization{Location: ref.String(), Rows: t.NumRows(), Columns: cols}, nil
}

// Status reports whether the asset's table exists, its rows and when it was
// written, without reading it.
func (m *IOManager) Status(ctx context.Context, asset string) (engine.AssetStatus, error) {
	ref := m.Ref(asset)
	info, err := m.Warehouse.TableInfo(ctx, ref)
	if err != nil {
		return engine.AssetStatus{}, err
	}
	return engine.AssetStatus{Exists: info.Exists, Location: ref.String(), Rows: info.Rows, MaterializedAt: info.Modified}, nil
}

// Load reads the asset's table back.
func (m *IOManager) Load(ctx context.Context, asset string) (any, error) {
	ref := m.Ref(asset)
	info, err := m.Warehouse.TableInfo(ctx, ref)
	if err != nil {
		return nil, err
	}
	if !info.Exists {
		return nil, fmt.Errorf("table %s does not exist: materialize %s first (run assets --select %s)", ref, asset, asset)
	}
	return m.Warehouse.ReadTable(ctx, ref)
}
