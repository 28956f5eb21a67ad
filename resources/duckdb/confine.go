package duckdb

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// A confined warehouse (Config.Writable set, as in a branch deployment) is walled
// in by DuckDB's own settings rather than by reading SQL. Before anything else
// runs, allowed_paths is set to the writable databases' files (and their
// write-ahead logs), allowed_directories to a private spill folder,
// enable_external_access is switched off and lock_configuration on. No
// statement can then attach, read (read_csv, read_blob, glob ...), copy to or
// export any other file, load an extension, or SET the wall away.
//
// The read-only databases (PRODUCTION) are not attached at all. DuckDB's
// allowed paths do not tell reading from writing: it allows the file of every
// database attached when external access is switched off, and COPY ... TO
// (USE_TMP_FILE false) then overwrites an allowed file, read-only attachment
// or not; an allowed PRODUCTION.duckdb.wal would be replayed into production by
// its next writer. So a branch connection never has production's files in
// reach: it reads and writes its clone, which clone_prod copies (by file, not
// through DuckDB) from production.

// confine applies the wall. It runs once, from Open, before the warehouse is
// handed to anyone.
func (w *Warehouse) confine(ctx context.Context) error {
	tmp, err := os.MkdirTemp("", "assetflow-duckdb-")
	if err != nil {
		return fmt.Errorf("confine duckdb: %w", err)
	}
	w.tempDir = tmp
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
		for _, suffix := range []string{"", ".wal", ".wal.checkpoint", ".wal.recovery"} {
			// An allowed path that is a link would carry writes elsewhere.
			if err := w.checkFile(name, path+suffix); err != nil {
				return err
			}
			allowed = append(allowed, literal(path+suffix))
		}
	}
	for _, stmt := range []string{
		// Spill files go to a private folder, which DuckDB then allows.
		"SET temp_directory = " + literal(tmp),
		"SET allowed_paths = [" + strings.Join(allowed, ", ") + "]",
		"SET allowed_directories = []",
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	} {
		if _, err := w.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("confine duckdb: %s: %w", stmt, err)
		}
	}
	return nil
}

// Confined reports whether DuckDB's own settings wall this warehouse in, so a
// raw statement cannot reach a file beyond its writable databases. The
// production guard relies on it instead of reading SQL.
func (w *Warehouse) Confined() bool { return len(w.cfg.Writable) > 0 }

// checkConfinedAttach explains, before DuckDB refuses, why a confined warehouse
// cannot attach a database.
func (w *Warehouse) checkConfinedAttach(name string) error {
	if !w.Confined() || w.writable[strings.ToUpper(name)] {
		return nil
	}
	return fmt.Errorf("refused: a branch connection opens only %s, not %s (clone_prod copies production into it)",
		strings.Join(w.cfg.Writable, ", "), name)
}

// checkConfinedWrite refuses, on a confined warehouse, to make or remove a
// database it may not write.
func (w *Warehouse) checkConfinedWrite(name string) error {
	if !w.Confined() || w.writable[strings.ToUpper(name)] {
		return nil
	}
	return fmt.Errorf("refused: a branch connection makes and drops only %s, not %s", strings.Join(w.cfg.Writable, ", "), name)
}
