package queue

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/assetflow/assetflow/internal/runstore"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// OpenSQLite opens the embedded instance's queue: River's SQLite driver on
// its own file (beside the run store, so the two do not take turns on one
// file), for workers on this machine. Workers find new runs by polling, as
// SQLite has no notifications.
func OpenSQLite(ctx context.Context, path string) (*Queue, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("queue %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", runstore.SQLiteURI(path)+"?_pragma=busy_timeout(15000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // River's driver wants one connection: SQLite writes one at a time
	if err := migrateSQLite(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	return &Queue{where: path, close: func() { db.Close() }, newClient: func(cfg *river.Config) (riverClient, error) {
		return river.NewClient(riversqlite.New(db), cfg)
	}}, nil
}

// migrateSQLite brings River's tables up to date, one process at a time (an
// exclusive lock on a file beside the queue).
func migrateSQLite(ctx context.Context, db *sql.DB, path string) error {
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("queue %s: %w", path, err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("queue %s: lock: %w", path, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	m, err := rivermigrate.New(riversqlite.New(db), nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue %s: queue tables: %w", path, err)
	}
	return nil
}
