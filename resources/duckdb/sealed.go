package duckdb

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// Sealed is a DuckDB instance that reads databases and can touch no file: they
// are attached READ_ONLY, then DuckDB's local file system is switched off
// (disabled_filesystems) and its configuration locked. Queries read the open
// files; no statement can attach, detach-and-reattach, read, copy to or export
// any file, nor write the databases. It is how a branch may read PRODUCTION
// with raw SQL (to compare its clone with it, say) without reaching it: the
// branch's own confined instance cannot open PRODUCTION (see confine.go).
// Queries get no spill folder, so a very large sort or join fails for memory
// rather than spilling.
type Sealed struct {
	db *sql.DB
}

// OpenSealed attaches each named database of the folder read-only and seals
// the instance. A database with no file is an error.
func OpenSealed(ctx context.Context, dir string, names ...string) (*Sealed, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("start duckdb: %w", err)
	}
	s := &Sealed{db: db}
	w := &Warehouse{cfg: Config{Dir: dir}}
	for _, name := range names {
		path, err := w.Path(name)
		if err != nil {
			s.Close()
			return nil, err
		}
		if !fileExists(path) {
			s.Close()
			return nil, fmt.Errorf("%s: %w", name, ErrNoDatabase)
		}
		if err := w.checkFile(name, path); err != nil {
			s.Close()
			return nil, err
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS %s (READ_ONLY)", literal(path), warehouse.Quote(name))); err != nil {
			s.Close()
			if isLockError(err) {
				return nil, &BusyError{Database: name, Cause: err}
			}
			return nil, fmt.Errorf("attach %s read-only: %w", name, err)
		}
	}
	for _, stmt := range []string{
		"SET enable_external_access = false",
		"SET disabled_filesystems = 'LocalFileSystem'",
		"SET lock_configuration = true",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			s.Close()
			return nil, fmt.Errorf("seal duckdb: %s: %w", stmt, err)
		}
	}
	return s, nil
}

// Query runs a read-only statement.
func (s *Sealed) Query(ctx context.Context, stmt string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, stmt, args...)
}

// Exec runs a statement; anything that writes a database or touches a file fails.
func (s *Sealed) Exec(ctx context.Context, stmt string, args ...any) error {
	if _, err := s.db.ExecContext(ctx, stmt, args...); err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	return nil
}

// Close releases the instance and its files.
func (s *Sealed) Close() error {
	return s.db.Close()
}
