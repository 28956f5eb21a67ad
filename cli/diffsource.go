package cli

import (
	"context"
	"database/sql"

	"github.com/assetflow/assetflow/resources"
	"github.com/assetflow/assetflow/resources/duckdb"
	"github.com/assetflow/assetflow/resources/warehouse"
	"github.com/assetflow/assetflow/resources/warehouse/diff"
)

// sealedSource is a diff source on a sealed DuckDB instance: both databases
// attached read-only, then every file closed to SQL. On the embedded warehouse a
// branch connection cannot open PRODUCTION at all (it is walled in by DuckDB's
// settings), so a diff reads through this instead, and still cannot write.
type sealedSource struct{ *duckdb.Sealed }

func (s sealedSource) Backend() string { return "duckdb" }

// Query runs one read-only statement; the databases are attached already.
func (s sealedSource) Query(ctx context.Context, _ []string, stmt string, args ...any) (*sql.Rows, error) {
	if err := warehouse.CheckReadOnly(stmt); err != nil {
		return nil, err
	}
	return s.Sealed.Query(ctx, stmt, args...)
}

// diffSource returns what run diff reads base and head through: on the
// embedded warehouse a sealed instance holding both (closed by the returned
// func), elsewhere the warehouse itself, whose role may read PRODUCTION.
func diffSource(ctx context.Context, spec resources.WarehouseSpec, w warehouse.Warehouse, base, head string) (diff.Source, func() error, error) {
	if spec.Backend != "duckdb" {
		src, err := diff.SourceOf(w)
		return src, func() error { return nil }, err
	}
	sealed, err := duckdb.OpenSealed(ctx, spec.Location, base, head)
	if err != nil {
		return nil, nil, err
	}
	return sealedSource{sealed}, sealed.Close, nil
}
