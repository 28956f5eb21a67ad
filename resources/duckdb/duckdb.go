//go:build cgo

// Package duckdb is the embedded warehouse backend: a folder in which each
// database is one DuckDB file, attached under its own name into one in-process
// DuckDB instance. Everything, clones included, works with no account.
package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
	"github.com/rs/zerolog"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// DefaultDir is where the embedded warehouse lives unless configured.
const DefaultDir = ".assetflow/warehouse"

// fileExt ends every database file's name.
const fileExt = ".duckdb"

// Config configures the embedded warehouse.
type Config struct {
	Dir      string   // folder of database files; created if missing
	ReadOnly []string // databases attached read-only, e.g. PRODUCTION in a branch
	// Writable, when set, confines the instance (see confine.go): these are
	// the only databases it may open, and no statement can reach any other
	// file. ReadOnly ones are then not opened at all.
	Writable []string
	LockWait time.Duration    // how long to wait for a database another process holds
	Log      zerolog.Logger   // receives clone and lock-wait messages
	Now      func() time.Time // the clock clone notes are stamped with; time.Now when nil
}

// Warehouse is the DuckDB implementation of warehouse.Warehouse.
type Warehouse struct {
	cfg Config
	db  *sql.DB

	mu       sync.Mutex      // guards attached and serialises attach, detach and clone
	attached map[string]bool // name -> attached read-only
	readOnly map[string]bool // from cfg.ReadOnly, upper-cased
	writable map[string]bool // from cfg.Writable, upper-cased
	tempDir  string          // a confined instance's private spill folder

	beforeSwap func() error // test hook: runs before a write's swap
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// Open creates the folder if needed and starts an in-process DuckDB instance.
// Databases are attached lazily, when first used.
func Open(ctx context.Context, cfg Config) (*Warehouse, error) {
	if cfg.Dir == "" {
		cfg.Dir = DefaultDir
	}
	if cfg.LockWait == 0 {
		cfg.LockWait = 10 * time.Second
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("warehouse folder %s: %w", cfg.Dir, err)
	}
	if len(cfg.Writable) > 0 { // allowed_paths compares text: use one absolute spelling
		dir, err := filepath.EvalSymlinks(cfg.Dir)
		if err == nil {
			dir, err = filepath.Abs(dir)
		}
		if err != nil {
			return nil, fmt.Errorf("warehouse folder %s: %w", cfg.Dir, err)
		}
		cfg.Dir = dir
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("start duckdb: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("start duckdb: %w", err)
	}
	w := &Warehouse{cfg: cfg, db: db, attached: map[string]bool{}, readOnly: map[string]bool{},
		writable: map[string]bool{}}
	for _, name := range cfg.ReadOnly {
		w.readOnly[strings.ToUpper(name)] = true
	}
	if w.Confined() {
		if err := w.confine(ctx); err != nil {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// Backend returns "duckdb".
func (w *Warehouse) Backend() string { return "duckdb" }

// Path returns the file of a database. The name must be a valid identifier, so the
// path cannot leave the warehouse folder.
func (w *Warehouse) Path(name string) (string, error) {
	if err := warehouse.CheckIdent("database", name); err != nil {
		return "", err
	}
	return filepath.Join(w.cfg.Dir, name+fileExt), nil
}

// ErrOpenTransaction is a raw statement that left a transaction open (a bare
// BEGIN): it is rolled back, since the pooled connection it ran on serves the
// I/O manager's writes next.
var ErrOpenTransaction = errors.New("the statement left a transaction open, so it was rolled back: put BEGIN ... COMMIT in one statement")

// Exec runs one statement with bound arguments, on a connection that goes back
// to the pool with no transaction open or aborted.
func (w *Warehouse) Exec(ctx context.Context, stmt string, args ...any) error {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, stmt, args...)
	// ROLLBACK fails when no transaction is open, as after any whole statement.
	_, rollbackErr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	if err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	if rollbackErr == nil {
		return fmt.Errorf("duckdb: %w", ErrOpenTransaction)
	}
	return nil
}

// ErrNoDatabase is returned for a database that has no file.
var ErrNoDatabase = errors.New("database does not exist")

// BusyError is a database locked by another process beyond the wait.
type BusyError struct {
	Database string
	Waited   time.Duration
	Cause    error
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("warehouse busy: database %s is in use by another assetflow process (waited %s); try again when it finishes",
		e.Database, e.Waited.Round(time.Millisecond))
}

func (e *BusyError) Unwrap() error { return e.Cause }

// attach makes a database available under its name. With create false a missing
// file is ErrNoDatabase rather than a new empty database.
func (w *Warehouse) attach(ctx context.Context, name string, create bool) error {
	path, err := w.Path(name)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.attached[name]; ok {
		return nil
	}
	if err := w.checkConfinedAttach(name); err != nil {
		return err
	}
	if err := w.checkFile(name, path); err != nil {
		return err
	}
	info, err := os.Stat(path)
	isNew := errors.Is(err, os.ErrNotExist)
	if isNew {
		if !create {
			return fmt.Errorf("%s: %w", name, ErrNoDatabase)
		}
		if w.readOnly[strings.ToUpper(name)] {
			return fmt.Errorf("%s: %w (and it is read-only here)", name, ErrNoDatabase)
		}
		if w.Confined() { // a branch's database is made only by cloning, which records its origin
			return fmt.Errorf("%s: %w: run `run job clone_prod` first", name, ErrNoDatabase)
		}
	} else if err == nil && info.Mode().IsRegular() && info.Size() == 0 {
		// DuckDB never leaves a database file empty; one is a creation that
		// failed (a full disk). Say so rather than "not a valid DuckDB file".
		return fmt.Errorf("attach %s: %s is empty, left by a creation that failed (a full disk?): remove it to start the database anew", name, path)
	}
	err = w.attachLocked(ctx, name, path, w.readOnly[strings.ToUpper(name)])
	var busy *BusyError
	if err != nil && isNew && !isLockError(err) && !errors.As(err, &busy) && ctx.Err() == nil {
		// This attach created the file and failed, on a full disk for one: an
		// empty file left behind would make every later attach fail.
		if info, serr := os.Stat(path); serr == nil && info.Size() == 0 {
			_ = os.Remove(path)
		}
	}
	return err
}

func (w *Warehouse) attachLocked(ctx context.Context, name, path string, readOnly bool) error {
	stmt := fmt.Sprintf("ATTACH %s AS %s", literal(path), warehouse.Quote(name))
	if readOnly {
		stmt += " (READ_ONLY)"
	}
	start := time.Now()
	// Steps of queued runs on several workers take turns on one file: look
	// again soon, so a freed file does not sit idle for long.
	for wait := 10 * time.Millisecond; ; wait = min(wait*2, 250*time.Millisecond) {
		err := errClaimed
		if readOnly || w.claim(path) {
			_, err = w.db.ExecContext(ctx, stmt)
			if err == nil {
				w.attached[name] = readOnly
				if err := w.checkOpened(name, path); err != nil {
					_, _ = w.db.ExecContext(context.WithoutCancel(ctx), "DETACH "+warehouse.Quote(name))
					delete(w.attached, name)
					w.release(path)
					return err
				}
				return nil
			}
			if !readOnly {
				w.release(path)
			}
		}
		if !isLockError(err) && !errors.Is(err, errClaimed) {
			return fmt.Errorf("attach %s: %w", name, err)
		}
		if time.Since(start) >= w.cfg.LockWait {
			return &BusyError{Database: name, Waited: time.Since(start), Cause: err}
		}
		w.cfg.Log.Info().Str("database", name).Msg("waiting for another process to release the database")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// errClaimed is a database file another warehouse of this process writes.
var errClaimed = errors.New("another warehouse of this process writes it")

// claimWait claims path for w (see procclaim.go), waiting up to LockWait.
func (w *Warehouse) claimWait(ctx context.Context, name, path string) error {
	start := time.Now()
	for wait := 20 * time.Millisecond; !w.claim(path); wait = min(wait*2, time.Second) {
		if time.Since(start) >= w.cfg.LockWait {
			return &BusyError{Database: name, Waited: time.Since(start), Cause: errClaimed}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	return nil
}

func isLockError(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock")
}

// detachLocked checkpoints and detaches a database if attached.
func (w *Warehouse) detachLocked(ctx context.Context, name string) error {
	readOnly, ok := w.attached[name]
	if !ok {
		return nil
	}
	if !readOnly {
		if _, err := w.db.ExecContext(ctx, "CHECKPOINT "+warehouse.Quote(name)); err != nil {
			return fmt.Errorf("checkpoint %s: %w", name, err)
		}
	}
	if _, err := w.db.ExecContext(ctx, "DETACH "+warehouse.Quote(name)); err != nil {
		return fmt.Errorf("detach %s: %w", name, err)
	}
	delete(w.attached, name)
	if path, err := w.Path(name); err == nil && !readOnly {
		w.release(path)
	}
	return nil
}

// ListDatabases returns the databases that have a file in the folder.
func (w *Warehouse) ListDatabases(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(w.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("list databases: %w", err)
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), fileExt)
		if ok && e.Type().IsRegular() && warehouse.CheckIdent("database", name) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// DropDatabase detaches the database and removes its file, if it exists.
func (w *Warehouse) DropDatabase(ctx context.Context, name string) error {
	path, err := w.Path(name)
	if err != nil {
		return err
	}
	if w.readOnly[strings.ToUpper(name)] {
		return fmt.Errorf("drop %s: it is read-only here", name)
	}
	if err := w.checkConfinedWrite(name); err != nil {
		return err
	}
	lock, err := w.lockName(ctx, name)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.detachLocked(ctx, name); err != nil {
		lock.Unlock()
		return err
	}
	if err := w.claimWait(ctx, name, path); err != nil { // another warehouse of this process writes it
		lock.Unlock()
		return err
	}
	defer w.release(path)
	held, err := w.lockExisting(ctx, name, path) // ... or another process (see CloneDatabase)
	if err != nil {
		lock.Unlock()
		return err
	}
	if held != nil {
		defer held.Close()
	}
	for _, p := range []string{path, path + ".wal", filepath.Join(w.cfg.Dir, name+noteExt)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			lock.Unlock()
			return fmt.Errorf("drop %s: %w", name, err)
		}
	}
	removeTemps(w.cfg.Dir, name) // what a killed clone of this name left: we hold its lock
	w.unlockAndRemove(lock)
	return nil
}

// Close checkpoints and detaches every database and stops DuckDB.
func (w *Warehouse) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(w.attached)) {
		if err := w.detachLocked(context.Background(), name); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, w.db.Close())
	w.releaseAll()
	if w.tempDir != "" {
		errs = append(errs, os.RemoveAll(w.tempDir))
	}
	return errors.Join(errs...)
}

// literal quotes a string as an SQL literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// DB exposes the DuckDB connection pool, for inspection in tests and tools.
func (w *Warehouse) DB() *sql.DB { return w.db }

// Attach makes an existing database available under its name; with create, a
// missing one is created empty. Tools that run SQL on DB() use it.
func (w *Warehouse) Attach(ctx context.Context, name string, create bool) error {
	return w.attach(ctx, name, create)
}

// Exists reports whether a database has a file.
func (w *Warehouse) Exists(name string) bool {
	path, err := w.Path(name)
	return err == nil && fileExists(path)
}
