package runstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/assetflow/assetflow/engine"
)

// DefaultPath is where the embedded run store lives unless configured.
const DefaultPath = ".assetflow/runs.db"

// sqliteMigrations are the layouts in order; a store's PRAGMA user_version is
// how many it has applied. Append, never edit.
var sqliteMigrations = []string{`
CREATE TABLE runs (
	run_id     TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	selection  TEXT NOT NULL,
	env        TEXT NOT NULL,
	nodes      TEXT NOT NULL,            -- JSON list, in plan order
	status     TEXT NOT NULL,
	error      TEXT NOT NULL DEFAULT '',
	started_ns INTEGER NOT NULL,
	ended_ns   INTEGER,
	pid        INTEGER NOT NULL,
	proc_start TEXT NOT NULL,
	host       TEXT NOT NULL
);
CREATE INDEX runs_started ON runs (started_ns DESC);
CREATE TABLE events (
	run_id   TEXT NOT NULL,
	seq      INTEGER NOT NULL,
	type     TEXT NOT NULL,
	node     TEXT NOT NULL,
	time_ns  INTEGER NOT NULL,
	attempt  INTEGER NOT NULL,
	dur_ns   INTEGER NOT NULL,
	error    TEXT NOT NULL,
	stack    TEXT NOT NULL,
	message  TEXT NOT NULL,
	mat      TEXT,                       -- JSON engine.Materialization
	PRIMARY KEY (run_id, seq)
);
CREATE INDEX events_materializations ON events (type, node, time_ns) WHERE type = 'ASSET_MATERIALIZATION';
`, `
ALTER TABLE runs ADD COLUMN warehouse TEXT NOT NULL DEFAULT ''; -- backend and place, e.g. duckdb /abs/folder
ALTER TABLE runs ADD COLUMN database TEXT NOT NULL DEFAULT '';  -- the database the run read and wrote
`, `
ALTER TABLE runs ADD COLUMN job_id INTEGER;             -- the queue's job, for queued runs
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';  -- the worker executing it
ALTER TABLE runs ADD COLUMN heartbeat_ns INTEGER;       -- that worker's last sign of life
ALTER TABLE runs ADD COLUMN cancel_ns INTEGER;           -- when run cancel asked for it
ALTER TABLE events ADD COLUMN worker TEXT NOT NULL DEFAULT ''; -- host:pid that emitted it
`, `
CREATE TABLE schedule_ticks (                            -- each firing of a schedule
	schedule TEXT NOT NULL,
	tick_ns  INTEGER NOT NULL,
	run_id   TEXT NOT NULL,
	fired_ns INTEGER NOT NULL,
	error    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (schedule, tick_ns)
);
`, `
CREATE TABLE steps (                                     -- the steps of a run spread over workers
	run_id       TEXT NOT NULL,
	node         TEXT NOT NULL,
	position     INTEGER NOT NULL,                     -- plan order, upstreams first
	upstream     TEXT NOT NULL,                        -- JSON list of the nodes it waits for
	state        TEXT NOT NULL,                        -- PENDING, QUEUED, RUNNING, SUCCESS, FAILURE, SKIPPED, CANCELED
	owner        TEXT NOT NULL DEFAULT '',              -- the worker execution running it
	heartbeat_ns INTEGER,
	PRIMARY KEY (run_id, node)
);
`, `
ALTER TABLE runs ADD COLUMN config TEXT NOT NULL DEFAULT ''; -- JSON run config, for re-execution
`}

// SQLite is the embedded Store: one SQLite file in WAL mode, which several
// processes write at once (each waits its turn for at most busy_timeout).
type SQLite struct {
	*sqlStore
}

var _ Store = (*SQLite)(nil)

// OpenSQLite opens or creates the store at path. A file that is not a SQLite
// database, or one written by a newer assetflow, is an error naming the file.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if err := CheckPath(path); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	dsn := SQLiteURI(path) + "?_pragma=busy_timeout(15000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer per process; processes take turns
	s := &SQLite{&sqlStore{where: path, db: db}}
	s.host, _ = os.Hostname()
	// Two processes opening a new store at once may find it busy while the
	// other switches it to WAL, a step busy_timeout does not cover: retry.
	deadline := time.Now().Add(15 * time.Second)
	for wait := 10 * time.Millisecond; ; wait = min(wait*2, 250*time.Millisecond) {
		err = s.migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case <-time.After(wait):
			continue
		}
		break
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func (s *SQLite) migrate(ctx context.Context) error {
	latest := len(sqliteMigrations)
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return s.unreadable(err)
	}
	switch {
	case version == latest:
		return nil
	case version > latest:
		return fmt.Errorf("run store %s was written by a newer assetflow (layout %d; this one reads %d): upgrade, or point ASSETFLOW_RUNS elsewhere",
			s.where, version, latest)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.unreadable(err)
	}
	defer tx.Rollback()
	// Another process may have migrated it meanwhile: look again inside the lock.
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return s.unreadable(err)
	}
	for ; version < latest; version++ {
		if _, err := tx.ExecContext(ctx, sqliteMigrations[version]); err != nil {
			return s.unreadable(err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", latest)); err != nil {
		return s.unreadable(err)
	}
	return tx.Commit()
}

// unreadable words an error of opening the store: a file that is not a SQLite
// database is named as such; anything else (busy, permissions) as it is.
func (s *SQLite) unreadable(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "not a database") || strings.Contains(msg, "malformed") || strings.Contains(msg, "SQLITE_NOTADB") ||
		strings.Contains(msg, "SQLITE_CORRUPT") {
		return fmt.Errorf("run store %s is not a readable assetflow run store (%v): move it aside to start a new history", s.where, err)
	}
	return fmt.Errorf("run store %s: %w", s.where, err)
}

// Path returns the store's file.
func (s *SQLite) Path() string { return s.where }

// StartRun records a run as STARTED by this process and reserves the space to
// record its end on a full disk (see finish.go).
func (s *SQLite) StartRun(ctx context.Context, r Run) error {
	if err := s.sqlStore.StartRun(ctx, r); err != nil {
		return err
	}
	s.reserveEnd(r.ID)
	return nil
}

// FinishRun records how a run ended; when the database cannot take it, the
// end is kept in the run's reserve for the next command.
func (s *SQLite) FinishRun(ctx context.Context, res *engine.RunResult) error {
	if err := s.sqlStore.FinishRun(ctx, res); err != nil {
		if s.keepEnd(res, err) {
			return fmt.Errorf("%w (the end is kept in %s for the next command)", err, s.reservePath(res.RunID))
		}
		return err
	}
	s.dropReserve(res.RunID)
	return nil
}

// MarkAbandoned first records the ends kept in reserve files, then fails the
// runs whose process is gone, except those whose kept end is still pending.
func (s *SQLite) MarkAbandoned(ctx context.Context) (int, error) {
	gone, stale, err := s.markAbandoned(ctx, s.applyKeptEnds(ctx))
	for _, id := range gone {
		s.dropReserve(id)
	}
	return len(gone) + stale, err
}
