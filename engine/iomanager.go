package engine

import "context"

// IOManager stores an asset's value and loads it back, so a run that selects only
// downstream assets reads upstream values an earlier run stored. A resource bound
// under an asset's I/O manager key must open to an IOManager.
type IOManager interface {
	// Store persists value as the asset's current materialization. It must be
	// atomic: after a failure the previous materialization is still whole.
	Store(ctx context.Context, asset string, value any) (Materialization, error)
	// Load returns the asset's stored value. The caller releases it when done if
	// it has a Release method.
	Load(ctx context.Context, asset string) (any, error)
}

// Materialization describes a stored asset value, for the materialization event.
type Materialization struct {
	Location string         // where it was stored, e.g. PRODUCTION.HACKER_NEWS.ITEMS
	Rows     int64          // row count, -1 when unknown
	Columns  []string       // column names, if tabular
	Metadata map[string]any // anything else the asset or I/O manager reports
	// CodeVersion is the asset's code version when it was computed (see
	// DeriveCodeVersion); "" when the asset has none.
	CodeVersion string `json:",omitempty"`
}

// ComputedByIOManager is implemented by an asset value that is an instruction
// to its I/O manager rather than data, such as a SQL query the warehouse runs
// into the asset's table. Downstream nodes never receive such a value, even in
// the same run: they receive what the I/O manager loads back.
type ComputedByIOManager interface {
	ComputedByIOManager()
}
