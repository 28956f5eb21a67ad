//go:build cgo

package duckdb

import "context"

// SetBeforeSwap installs a hook that runs after a write filled its staging table
// and before it swaps it into place.
func (w *Warehouse) SetBeforeSwap(f func() error) { w.beforeSwap = f }

// LockName takes a database name's lock as a clone or drop does; release
// removes the lock file when remove is true, as a drop does.
func (w *Warehouse) LockName(ctx context.Context, name string) (release func(remove bool), err error) {
	l, err := w.lockName(ctx, name)
	if err != nil {
		return nil, err
	}
	return func(remove bool) {
		if remove {
			w.unlockAndRemove(l)
		} else {
			l.Unlock()
		}
	}, nil
}

// TryLockName takes the lock without waiting: false when another holds it.
func (w *Warehouse) TryLockName(ctx context.Context, name string) (bool, error) {
	l, err := w.lockNameWait(ctx, name, false)
	if l != nil {
		l.Unlock()
	}
	return l != nil, err
}
