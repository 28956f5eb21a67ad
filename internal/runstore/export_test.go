package runstore

import "context"

// SetPID rewrites the process a run is recorded for, to simulate one that died.
func (s *SQLite) SetPID(ctx context.Context, runID string, pid int) error {
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET pid = ?, proc_start = '' WHERE run_id = ?`, pid, runID)
	return err
}

// FailWrites makes every later write of this store fail, as a full disk would,
// while reads still work.
func (s *SQLite) FailWrites(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `PRAGMA query_only = 1`)
	return err
}
