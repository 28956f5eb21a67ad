package runstore

import (
	"context"
	"strings"
	"time"
)

// SetPID rewrites the process a run is recorded for, to simulate one that died.
func (s *sqlStore) SetPID(ctx context.Context, runID string, pid int) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET pid = ?, proc_start = '' WHERE run_id = ?`), pid, runID)
	return err
}

// SQLiteLayout returns the statements that make SQLite layout n, to test
// migrating from it.
func SQLiteLayout(n int) string { return strings.Join(sqliteMigrations[:n], "\n") }

// SetHost rewrites the host and heartbeat a run is recorded with, to simulate
// a run of another machine that stopped.
func (s *sqlStore) SetHost(ctx context.Context, runID, host string, heartbeat time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE runs SET host = ?, heartbeat_ns = ? WHERE run_id = ?`), host, heartbeat.UnixNano(), runID)
	return err
}

// FailWrites makes every later write of this store fail, as a full disk would,
// while reads still work.
func (s *SQLite) FailWrites(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `PRAGMA query_only = 1`)
	return err
}

// SetClock makes the store read this machine's time from clock.
// The clock is measured against the instance's again at once.
func (s *sqlStore) SetClock(clock func() time.Time) {
	s.clockMu.Lock()
	defer s.clockMu.Unlock()
	s.clock, s.clockAt = clock, time.Time{}
}
