//go:build cgo

package duckdb

// SetBeforeSwap installs a hook that runs after a write filled its staging table
// and before it swaps it into place.
func (w *Warehouse) SetBeforeSwap(f func() error) { w.beforeSwap = f }
