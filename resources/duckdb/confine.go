package duckdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/assetflow/assetflow/resources/warehouse"
)

// A confined warehouse (Config.Writable set, as in a branch deployment) is walled
// in by DuckDB's own settings rather than by reading SQL:
//
//   - the read-only databases are attached READ_ONLY before anything else runs;
//   - allowed_paths then names only the writable databases' files (and their
//     write-ahead logs), enable_external_access is switched off, and
//     lock_configuration is switched on, so no statement can attach, read
//     (read_csv, read_blob, glob ...), copy to or export any other file, load
//     an extension, or SET the wall away;
//   - DuckDB itself keeps the files of databases attached at that moment
//     allowed, so a statement could DETACH production and ATTACH it again
//     writable. A transaction held open on a private connection pins every such
//     database: a detached one stays open, and DuckDB then refuses to attach its
//     file again, under any name, in any mode ("Unique file handle conflict").
//
// What remains possible is what a branch may do: read the read-only databases
// and write the writable ones.

// confine applies the wall. It runs once, from Open, before the warehouse is
// handed to anyone.
func (w *Warehouse) confine(ctx context.Context) error {
	tmp, err := os.MkdirTemp("", "assetflow-duckdb-")
	if err != nil {
		return fmt.Errorf("confine duckdb: %w", err)
	}
	w.tempDir = tmp
	// Spill files go to a private folder, as DuckDB allows its temporary folder.
	if _, err := w.db.ExecContext(ctx, "SET temp_directory = "+literal(tmp)); err != nil {
		return fmt.Errorf("confine duckdb: %w", err)
	}
	for _, name := range w.cfg.ReadOnly {
		if err := w.attachReadOnlyAtOpen(ctx, name); err != nil {
			return err
		}
	}
	var allowed []string
	for _, name := range w.cfg.Writable {
		path, err := w.Path(name)
		if err != nil {
			return err
		}
		if w.readOnly[strings.ToUpper(name)] {
			return fmt.Errorf("confine duckdb: %s is both read-only and writable", name)
		}
		w.writable[strings.ToUpper(name)] = true
		abs, err := absPath(path)
		if err != nil {
			return fmt.Errorf("confine duckdb: %w", err)
		}
		for _, suffix := range []string{"", ".wal", ".wal.checkpoint", ".wal.recovery"} {
			allowed = append(allowed, literal(abs+suffix))
		}
	}
	for _, stmt := range []string{
		"SET allowed_paths = [" + strings.Join(allowed, ", ") + "]",
		"SET allowed_directories = []",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := w.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("confine duckdb: %s: %w", stmt, err)
		}
	}
	return w.pinReadOnly(ctx)
}

// attachReadOnlyAtOpen attaches a read-only database if its file exists and no
// other process is writing it. Either way it does not wait: a branch run must
// not stall on production; a database not attached now cannot be read later.
func (w *Warehouse) attachReadOnlyAtOpen(ctx context.Context, name string) error {
	path, err := w.Path(name)
	if err != nil {
		return err
	}
	if !fileExists(path) {
		return nil
	}
	if err := w.checkFile(name, path); err != nil {
		return err
	}
	_, err = w.db.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS %s (READ_ONLY)", literal(path), warehouse.Quote(name)))
	switch {
	case err == nil:
		w.attached[name] = true
		w.pinned[name] = true
		return nil
	case isLockError(err):
		w.cfg.Log.Info().Str("database", name).Msg("another process is writing this database; it cannot be read in this run")
		return nil
	}
	return fmt.Errorf("attach %s read-only: %w", name, err)
}

// pinReadOnly opens a transaction that reads the catalog of every attached
// database and keeps it open until Close.
func (w *Warehouse) pinReadOnly(ctx context.Context) error {
	if len(w.pinned) == 0 {
		return nil
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("confine duckdb: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		conn.Close()
		return fmt.Errorf("confine duckdb: %w", err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_schemas()").Scan(&n); err != nil {
		conn.Close()
		return fmt.Errorf("confine duckdb: %w", err)
	}
	w.pin = conn
	return nil
}

// unpin ends the pinning transaction.
func (w *Warehouse) unpin() error {
	if w.pin == nil {
		return nil
	}
	_, err := w.pin.ExecContext(context.Background(), "ROLLBACK")
	err = errors.Join(err, w.pin.Close())
	w.pin = nil
	return err
}

// Confined reports whether DuckDB's own settings wall this warehouse in, so a
// raw statement cannot reach a file beyond its writable databases, nor write a
// read-only one. The production guard relies on it instead of reading SQL.
func (w *Warehouse) Confined() bool { return len(w.cfg.Writable) > 0 }

// checkConfinedAttach explains, before DuckDB refuses, why a confined warehouse
// cannot attach a database now.
func (w *Warehouse) checkConfinedAttach(name string) error {
	if !w.Confined() || w.writable[strings.ToUpper(name)] {
		return nil
	}
	if w.readOnly[strings.ToUpper(name)] {
		return fmt.Errorf("%s cannot be read on this branch connection: it did not exist, or another process was writing it, when the connection opened", name)
	}
	return fmt.Errorf("refused: a branch connection opens only %s (and reads %s), not %s",
		strings.Join(w.cfg.Writable, ", "), strings.Join(w.cfg.ReadOnly, ", "), name)
}

// checkConfinedWrite refuses, on a confined warehouse, to make or remove a
// database it may not write.
func (w *Warehouse) checkConfinedWrite(name string) error {
	if !w.Confined() || w.writable[strings.ToUpper(name)] {
		return nil
	}
	return fmt.Errorf("refused: a branch connection makes and drops only %s, not %s", strings.Join(w.cfg.Writable, ", "), name)
}
